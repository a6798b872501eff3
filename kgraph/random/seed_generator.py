"""Keras' seeding semantics for kgraph's random ops.

A random op's ``seed`` is an integer (the same values at every call), a :class:`SeedGenerator`
(fresh values at every call, a reproducible sequence), or None (the process generator of
``kgraph.utils.set_random_seed``: fresh values, reproducible after ``set_random_seed``). Each
resolves to the integer ``seed`` attribute of the ONNX random nodes: eagerly, a fresh one-op
session runs them once, so one seed gives one draw; in a compiled graph onnxruntime advances
the node's stream at every run, so a training step draws new values each step.
"""

from __future__ import annotations

import numpy as np

from kgraph.utils import seeds

_MAX = 2**31 - 1


class SeedGenerator:
    """A stateful source of seeds for random ops, as Keras' ``keras.random.SeedGenerator``.

    Args:
        seed: Initial integer seed; drawn from the process generator when None (so it is
            reproducible under ``set_random_seed``).
        name: Name of the generator.

    ``state`` is ``[seed, counter]``; :meth:`next` returns the seed for the next draw and
    advances the counter.
    """

    _count = 0

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        if name is None:
            SeedGenerator._count += 1
            count = SeedGenerator._count
            name = "seed_generator" if count == 1 else f"seed_generator_{count - 1}"
        self.name = name
        self._initial_seed = seed
        if seed is None:
            seed = seeds.make_seed()
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed}")
        self.state = np.asarray([int(seed), 0], np.int64)

    def next(self, ordered=True) -> int:
        """The seed of the next draw (a function of the state), then advances the state."""
        seed = int(np.random.default_rng([int(s) % 2**63 for s in self.state]).integers(0, _MAX))
        if ordered:
            self.state = self.state + np.asarray([0, 1], np.int64)
        else:
            self.state = (self.state + 1) * 5387 % 933199
        return seed

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> SeedGenerator:
        return cls(**config)


def draw_seed(seed) -> int:
    """The node seed for ``seed`` (an int, a :class:`SeedGenerator` or None)."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed) % _MAX
    if seed is None:
        return seeds.make_seed()
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed} (of type {type(seed)})"
    )


def derived(seed: int, index: int) -> int:
    """A second, independent node seed from ``seed`` (compositions need several streams)."""
    return int(np.random.default_rng([seed, index]).integers(0, _MAX))
