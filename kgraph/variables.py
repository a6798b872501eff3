"""``Variable``: a named, mutable weight (``dense/kernel``) whose value lives in numpy, and the
generation counter that tells compiled graphs a value changed. Re-exported by
:mod:`kgraph.tensor`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.tensor import KerasTensor


class Variable:
    """A named, mutable weight with Keras 3's constructor. ``path`` (``layer/name``) is its
    name in every exported graph.

    Args:
        initializer: The initial value (array-like), or an initializer (a name such as
            ``"zeros"`` or a callable ``(shape, dtype)``), which then needs ``shape``.
        shape: The shape, for an initializer.
        dtype: The dtype; by default the value's, with Python and numpy float64 values taking
            float32 and int64 values int32, as Keras converts them.
        trainable: Whether optimizers update it.
        autocast, aggregation, synchronization: Accepted for Keras compatibility (one device,
            no mixed-precision scopes: they change nothing here).
        name: Short name (``kernel``); no ``/``.
        path: Full name used in graphs (``dense/kernel``); the name by default.
    """

    __array_priority__ = 100
    #: Penalty added to the training loss (``kgraph.regularizers``), set by ``add_weight``.
    regularizer = None
    #: Projection applied after each optimizer update (``kgraph.constraints``).
    constraint = None

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        path=None,
    ):
        name = "variable" if name is None else name
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name}"
            )
        self._value = _initial_value(initializer, shape, dtype)
        self.name = name
        self.path = path or name
        self.trainable = bool(trainable)
        self.autocast, self.aggregation = autocast, aggregation or "none"
        self.synchronization = synchronization or "none"

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def dtype(self) -> str:
        return str(self._value.dtype)

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def value(self) -> np.ndarray:
        return self._value

    def numpy(self) -> np.ndarray:
        """Returns a copy of the current value."""
        return self._value.copy()

    def assign(self, value: Any):
        """Replaces the value; the shape must stay the same.

        Inside a traced ``call`` (e.g. BatchNormalization's moving statistics in training) the
        value is symbolic: the assignment becomes a state update of the training graph.
        """
        global _GENERATION
        if isinstance(value, KerasTensor):
            from kgraph import trace

            active = trace.current()
            if active is not None and value._value is not None:
                active.record_update(self, value._value)
            return value
        value = np.asarray(value, dtype=self._value.dtype)
        if value.shape != self._value.shape:
            raise ValueError(
                f"Variable '{self.path}' has shape {self._value.shape}; "
                f"received a value of shape {value.shape}."
            )
        self._value = value.copy()
        _GENERATION += 1
        return value

    def assign_add(self, value: Any):
        """Adds ``value`` (inside a traced ``call``: a state update of the training graph)."""
        if isinstance(value, KerasTensor) or _tracing():
            return self.assign(_ops().add(self, value))
        return self.assign(self._value + np.asarray(value, self._value.dtype))

    def assign_sub(self, value: Any):
        """Subtracts ``value`` (inside a traced ``call``: a state update of the training graph)."""
        if isinstance(value, KerasTensor) or _tracing():
            return self.assign(_ops().subtract(self, value))
        return self.assign(self._value - np.asarray(value, self._value.dtype))

    def __array__(self, dtype=None, copy=None):
        return self._value if dtype is None else self._value.astype(dtype)

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"

    __add__ = KerasTensor.__add__
    __radd__ = KerasTensor.__radd__
    __sub__ = KerasTensor.__sub__
    __rsub__ = KerasTensor.__rsub__
    __mul__ = KerasTensor.__mul__
    __rmul__ = KerasTensor.__rmul__
    __truediv__ = KerasTensor.__truediv__
    __rtruediv__ = KerasTensor.__rtruediv__
    __matmul__ = KerasTensor.__matmul__
    __rmatmul__ = KerasTensor.__rmatmul__
    __pow__ = KerasTensor.__pow__
    __neg__ = KerasTensor.__neg__
    __getitem__ = KerasTensor.__getitem__


_GENERATION = 0  # bumped by every assign: compiled graphs embed values, trainers push changes


def _initial_value(initializer, shape, dtype) -> np.ndarray:
    """The first value of a Variable, converted as Keras converts it (see ``Variable``)."""
    if isinstance(initializer, str) or (
        callable(initializer) and not hasattr(initializer, "shape")
    ):
        from kgraph import initializers

        if shape is None:
            raise ValueError(
                "When creating a Variable from an initializer, the `shape` argument should be "
                f"specified. Received: initializer={initializer} and shape={shape}"
            )
        dtype = dtypes.standardize(dtype) if dtype else dtypes.FLOATX
        return np.array(initializers.get(initializer)(tuple(shape), dtype=dtype), dtype=dtype)
    value = np.asarray(initializer)
    if dtype is None:
        dtype = {"float64": "float32", "int64": "int32"}.get(str(value.dtype), value.dtype)
    value = np.array(value, dtype=dtypes.standardize(dtype))
    if shape is not None and tuple(shape) != value.shape:
        raise ValueError(f"Initial value shape {value.shape} does not match shape={tuple(shape)}.")
    return value


def _tracing() -> bool:
    from kgraph import trace

    return trace.current() is not None


def generation() -> int:
    """A counter that changes whenever any variable's value changes."""
    return _GENERATION


def touch() -> None:
    """Marks compiled graphs as stale without assigning a variable: a layer state compiled
    into the graphs that is not a Variable (a lookup vocabulary set by ``adapt``) changed."""
    global _GENERATION
    _GENERATION += 1


def _ops():
    from kgraph import ops

    return ops
