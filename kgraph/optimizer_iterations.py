"""An optimizer's step counter as Keras exposes it (``optimizer.iterations``): a live integer
scalar with a variable's methods (``numpy()``, ``value``, ``assign``) and an int's operators.

The count itself stays a plain Python int on the optimizer, so that the training loop can
step it without touching any Variable (a Variable write would make the trainer copy every
weight to the engine before the next step).
"""

from __future__ import annotations

import numpy as np

from kgraph.scalar_operators import with_scalar_operators


@with_scalar_operators
class Iterations:
    """``optimizer.iterations``: the number of steps taken, read live from the optimizer.

    Converts with ``int()``, ``float()``, ``numpy.asarray`` (int64) and ``.numpy()``, compares
    and computes as that int, and ``assign(value)`` / ``assign_add`` / ``assign_sub`` set the
    count (as restoring a checkpoint does). The learning rate of a schedule follows it.
    """

    __slots__ = ("_optimizer",)
    shape = ()
    ndim = 0
    dtype = "int64"
    name = "iteration"
    trainable = False
    __array_priority__ = 100  # numpy defers ``array <op> iterations`` to the methods below

    def __init__(self, optimizer):
        self._optimizer = optimizer

    @property
    def path(self) -> str:
        return f"{self._optimizer.name}/iteration"

    @property
    def value(self) -> int:
        """The current count as Keras shows it: with ``gradient_accumulation_steps``, the
        number of applied updates (steps // accumulation steps); else every step."""
        steps = self._optimizer.gradient_accumulation_steps
        return self.count // steps if steps else self.count

    @property
    def count(self) -> int:
        """Every step taken, accumulating ones included (Keras' private ``_iterations``: what
        a schedule reads, and what a saved file stores)."""
        return self._optimizer.iteration_count

    def numpy(self):
        return np.asarray(self.value, np.int64)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.value, dtype or np.int64)

    def assign(self, value):
        """Sets the count to ``value`` (an integral number or scalar array)."""
        self._optimizer.iterations = value
        return self

    def assign_add(self, value):
        return self.assign(self.value + as_count(value))

    def assign_sub(self, value):
        return self.assign(self.value - as_count(value))

    def __int__(self):
        return self.value

    __index__ = __int__

    def __repr__(self):
        return f"<Variable path={self.path}, shape=(), dtype=int64, value={self.value}>"

    __hash__ = object.__hash__


def as_count(value) -> int:
    """``value`` (an int, an :class:`Iterations`, a scalar array) as an int; a fractional or
    non-scalar value is an error, as Keras' int variable refuses it."""
    if isinstance(value, Iterations):
        return value.count
    arr = np.asarray(value)
    if arr.size != 1 or (arr.dtype.kind not in "iub" and float(arr.flat[0]) % 1):
        raise ValueError(f"`iterations` takes an integral scalar. Received: iterations={value!r}")
    return int(arr.reshape(()))


def step_count(optimizer) -> int:
    """Every step ``optimizer`` took (accumulating ones included): the count that the
    training loop steps, schedules read and files store (``optimizer.iterations`` shows
    applied updates under gradient accumulation, as Keras)."""
    iterations = optimizer.iterations
    return iterations.count if isinstance(iterations, Iterations) else int(iterations)
