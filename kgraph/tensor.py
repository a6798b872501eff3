"""Symbolic tensors (and, re-exported from :mod:`kgraph.variables`, variables).

A :class:`KerasTensor` stands for a value that does not exist yet. It always knows its shape and
dtype. At model-definition time it also remembers which layer call produced it (``_history``), so
``Model(inputs, outputs)`` can recover the layer DAG. While a model is being traced into an ONNX
graph it additionally carries the IR value (``_value``) that the compiler's builder made for it.

``Variable``, ``generation`` and ``touch`` live in :mod:`kgraph.variables` (a Variable borrows
KerasTensor's operators, so that module imports this one) and are found here too.
"""

from __future__ import annotations

from typing import Any

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


def _ops():
    from kgraph import ops

    return ops


def is_symbolic(x: Any) -> bool:
    """True for a KerasTensor (with or without an IR value)."""
    return isinstance(x, KerasTensor)


def __getattr__(name: str):
    """``kgraph.tensor.Variable`` (and ``generation``, ``touch``), from :mod:`kgraph.variables`,
    looked up on first use since that module imports this one."""
    if name in ("Variable", "generation", "touch"):
        from kgraph import variables

        return getattr(variables, name)
    raise AttributeError(f"module 'kgraph.tensor' has no attribute '{name}'")
