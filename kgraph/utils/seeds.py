"""The process-wide random state behind initialisation, shuffling and dropout seeds."""

from __future__ import annotations

import random

import numpy as np

_RNG = np.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Makes initialisation, shuffling and dropout reproducible (also seeds ``random``/numpy)."""
    global _RNG
    _RNG = np.random.default_rng(seed)
    random.seed(seed)
    np.random.seed(seed % (2**32))


def rng() -> np.random.Generator:
    """The generator every kgraph random draw uses."""
    return _RNG


def make_seed() -> int:
    """A fresh seed for a random op, drawn from the process generator."""
    return int(_RNG.integers(0, 2**31 - 1))
