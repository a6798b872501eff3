"""Symbolic tensors and variables.

A :class:`KerasTensor` stands for a value that does not exist yet. It always knows its shape and
dtype. At model-definition time it also remembers which layer call produced it (``_history``), so
``Model(inputs, outputs)`` can recover the layer DAG. While a model is being traced into an ONNX
graph it additionally carries the IR value (``_value``) that the compiler's builder made for it.

A :class:`Variable` is a named, mutable weight (``dense/kernel``) whose value lives in numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes


class KerasTensor:
    """A symbolic tensor: a shape, a dtype and, while tracing, an IR value."""

    __array_priority__ = 100  # numpy defers ``ndarray + KerasTensor`` to us

    def __init__(self, shape, dtype="float32", name=None, value=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtypes.standardize(dtype)
        self.name = name
        self._value = value
        self._history = None  # (layer, node_index, tensor_index) once produced by a layer call
        #: (tensor, axis) when this 0-d tensor is a run-time size read by ``ops.shape``.
        self.dim_source = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value; use kgraph.ops.where instead.")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A symbolic KerasTensor cannot be converted to a numpy array. It has no value yet: "
            "call the model on real data instead."
        )

    def __iter__(self):
        raise TypeError(
            "Iterating over a symbolic KerasTensor is not supported: index it (x[0], x[:, 1]) "
            "or use kgraph.ops instead."
        )

    # Operators route to kgraph.ops so they trace like any other op.
    def __getitem__(self, key):
        """Basic indexing (ints, slices, None, Ellipsis): see ``kgraph.ops.get_item``."""
        return _ops().get_item(self, key)

    def __add__(self, o):
        return _ops().add(self, o)

    def __radd__(self, o):
        return _ops().add(o, self)

    def __sub__(self, o):
        return _ops().subtract(self, o)

    def __rsub__(self, o):
        return _ops().subtract(o, self)

    def __mul__(self, o):
        return _ops().multiply(self, o)

    def __rmul__(self, o):
        return _ops().multiply(o, self)

    def __truediv__(self, o):
        return _ops().divide(self, o)

    def __rtruediv__(self, o):
        return _ops().divide(o, self)

    def __matmul__(self, o):
        return _ops().matmul(self, o)

    def __rmatmul__(self, o):
        return _ops().matmul(o, self)

    def __pow__(self, o):
        return _ops().power(self, o)

    def __neg__(self):
        return _ops().negative(self)

    def __abs__(self):
        return _ops().abs(self)

    def __gt__(self, o):
        return _ops().greater(self, o)

    def __lt__(self, o):
        return _ops().less(self, o)

    def __ge__(self, o):
        return _ops().greater_equal(self, o)

    def __le__(self, o):
        return _ops().less_equal(self, o)

    def _computed(self) -> bool:
        """True where this tensor stands for computed numbers (traced, or inside a layer's
        call), as a backend tensor does in Keras there; between layers it is a graph node."""
        from kgraph import trace

        return self._value is not None or trace.in_layer_call()

    def __eq__(self, o):
        """Element-wise (``ops.equal``) where computed, as in a Keras metric's update_state;
        identity between layers, as Keras' KerasTensor (which defines no ``==``)."""
        return _ops().equal(self, o) if self._computed() else self is o

    def __ne__(self, o):
        return _ops().not_equal(self, o)

    def __round__(self, ndigits=None):
        return _ops().round(self, ndigits or 0)

    __hash__ = object.__hash__  # identity, so tensors stay usable as dict keys and set items

    def __rpow__(self, o):
        return _ops().power(o, self)

    def __floordiv__(self, o):
        return _ops().floor_divide(self, o)

    def __rfloordiv__(self, o):
        return _ops().floor_divide(o, self)

    def __mod__(self, o):
        return _ops().mod(self, o)

    def __rmod__(self, o):
        return _ops().mod(o, self)

    def __and__(self, o):
        return _ops().logical_and(self, o)

    def __rand__(self, o):
        return _ops().logical_and(o, self)

    def __or__(self, o):
        return _ops().logical_or(self, o)

    def __ror__(self, o):
        return _ops().logical_or(o, self)

    def __xor__(self, o):
        return _ops().logical_xor(self, o)

    def __rxor__(self, o):
        return _ops().logical_xor(o, self)

    def __invert__(self):
        return _ops().logical_not(self)


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


def is_symbolic(x: Any) -> bool:
    """True for a KerasTensor (with or without an IR value)."""
    return isinstance(x, KerasTensor)
