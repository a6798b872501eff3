"""An optimizer's learning rate as Keras exposes it (``optimizer.learning_rate``): a live
scalar with a variable's methods and a number's operators."""

from __future__ import annotations

import numpy as np

from kgraph.scalar_operators import with_scalar_operators

SCHEDULE_NOT_SETTABLE = (
    "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
    "constructor argument, hence its learning rate is not settable. If you need the learning "
    "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
    "argument."
)


@with_scalar_operators
class LearningRate:
    """An optimizer's learning rate as Keras exposes it: a live scalar variable.

    ``optimizer.learning_rate`` returns this view when the rate is a number (with a schedule it
    returns the rate at ``iterations``, a float, as Keras returns a tensor). It reads the
    optimizer's current rate each time, converts with ``float()`` and ``numpy.asarray`` (float32),
    takes part in arithmetic and comparisons as that number, and ``assign(value)`` sets the rate
    (as ``optimizer.learning_rate = value`` does) without recompiling anything.
    """

    __slots__ = ("_optimizer",)
    shape = ()
    ndim = 0
    dtype = "float32"
    name = "learning_rate"
    path = "learning_rate"
    trainable = False
    __array_priority__ = 100  # numpy defers ``array <op> rate`` to the reflected methods below

    def __init__(self, optimizer):
        self._optimizer = optimizer

    @property
    def value(self) -> float:
        """The current rate."""
        return self._optimizer.current_learning_rate()

    def numpy(self):

        return np.asarray(self.value, np.float32)

    def __array__(self, dtype=None, copy=None):

        return np.asarray(self.value, dtype or np.float32)

    def assign(self, value):
        """Sets the optimizer's rate to ``value`` (a number or a scalar array)."""
        opt = self._optimizer
        if callable(opt._learning_rate):
            raise TypeError(SCHEDULE_NOT_SETTABLE)
        opt.learning_rate = as_learning_rate(value)
        return self

    def assign_add(self, value):
        return self.assign(self.value + as_learning_rate(value))

    def assign_sub(self, value):
        return self.assign(self.value - as_learning_rate(value))

    def __int__(self):
        return int(self.value)

    def __repr__(self):
        return f"<LearningRate shape=(), dtype=float32, value={self.value}>"

    __hash__ = object.__hash__

    def __pos__(self):
        return self.value

    def __round__(self, ndigits=None):
        return round(self.value, ndigits)


def as_learning_rate(value) -> float:
    if isinstance(value, LearningRate):
        return value.value

    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"A learning rate must be a scalar. Received: shape={arr.shape}")
    return float(arr.reshape(()))
