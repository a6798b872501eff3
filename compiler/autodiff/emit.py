"""Small emitters and readers shared by the gradient rules (all standard ``ai.onnx`` ops)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder


def is_float(value: ir.Value) -> bool:
    """Whether ``value`` can carry a gradient (floating point, or of unknown type)."""
    return value.dtype is None or value.dtype.is_floating_point()


def np_dtype(value: ir.Value) -> np.dtype:
    """The numpy dtype of ``value`` (which must have a known element type)."""
    if value.dtype is None:
        raise ValueError(
            f"Value '{value.name}' has no known element type; run shape inference "
            "(compiler.autodiff.shapes.ensure_shapes) before differentiating."
        )
    return np.dtype(value.dtype.numpy())


def const(b: GraphBuilder, array, like: ir.Value) -> ir.Value:
    """A constant holding ``array`` in the element type of ``like``."""
    return b.constant(np.asarray(array, dtype=np_dtype(like)))


def ints(b: GraphBuilder, values: Sequence[int]) -> ir.Value:
    """A 1-D int64 constant."""
    return b.constant(np.asarray(list(values), dtype=np.int64))


def rank(value: ir.Value) -> int:
    """The static rank of ``value``."""
    if value.shape is None:
        raise ValueError(
            f"The rank of '{value.name}' is unknown; run shape inference "
            "(compiler.autodiff.shapes.ensure_shapes) before differentiating."
        )
    return len(value.shape)


def dims(value: ir.Value) -> list[int | None]:
    """The dims of ``value``: ints where static, ``None`` where symbolic."""
    rank(value)
    return [d if isinstance(d, int) else None for d in value.shape]


def static_shape(value: ir.Value) -> tuple[int, ...] | None:
    """The shape of ``value`` when every dim is static, else ``None`` (also for unknown rank)."""
    if value.shape is None:
        return None
    shape = dims(value)
    return None if None in shape else tuple(shape)


def attr(node: ir.Node, name: str, default=None):
    """The Python value of attribute ``name`` of ``node`` (``default`` when absent)."""
    found = node.attributes.get(name)
    if found is None:
        return default
    value = found.value
    return list(value) if isinstance(value, (list, tuple)) else value


def input_at(node: ir.Node, index: int) -> ir.Value | None:
    """Input ``index`` of ``node``, ``None`` when omitted."""
    return node.inputs[index] if index < len(node.inputs) else None


def constant_value(value: ir.Value | None) -> np.ndarray | None:
    """The numpy value of an initializer or ``Constant`` output, ``None`` when not constant."""
    if value is None:
        return None
    if value.const_value is not None:
        return value.const_value.numpy()
    producer = value.producer()
    if producer is not None and producer.op_type == "Constant" and "value" in producer.attributes:
        return producer.attributes["value"].value.numpy()
    return None


def reduce_sum(b: GraphBuilder, x: ir.Value, axes: Sequence[int], keepdims: bool = True):
    """ReduceSum over ``axes`` (axes as an input: opset 13 and later)."""
    return b.op("ReduceSum", [x, ints(b, axes)], {"keepdims": int(keepdims)})


def shape_of(b: GraphBuilder, x: ir.Value) -> ir.Value:
    """The shape of ``x`` as an int64 value: a constant when static, else a ``Shape`` node."""
    static = static_shape(x)
    return ints(b, static) if static is not None else b.op("Shape", [x])


def reshape_like(b: GraphBuilder, g: ir.Value, x: ir.Value) -> ir.Value:
    """``g`` reshaped to the shape of ``x``."""
    return b.op("Reshape", [g, shape_of(b, x)])


def zeros_like(b: GraphBuilder, x: ir.Value) -> ir.Value:
    """Zeros with the shape and element type of ``x``."""
    value = ir.tensor(np.zeros(1, dtype=np_dtype(x)))
    return b.op("ConstantOfShape", [shape_of(b, x)], {"value": value})


def transpose(b: GraphBuilder, x: ir.Value, perm: Sequence[int]) -> ir.Value:
    """Transpose with ``perm``."""
    return b.op("Transpose", [x], {"perm": list(perm)})


def swap_last(b: GraphBuilder, x: ir.Value, ndim: int) -> ir.Value:
    """``x`` with its last two axes swapped (``ndim`` ≥ 2)."""
    return transpose(b, x, [*range(ndim - 2), ndim - 1, ndim - 2])


def mask_as(b: GraphBuilder, condition: ir.Value, like: ir.Value) -> ir.Value:
    """A boolean ``condition`` cast to the element type of ``like`` (1 where true)."""
    return b.op("Cast", [condition], {"to": ir.DataType.from_numpy(np_dtype(like))})


def flat(b: GraphBuilder, value: ir.Value) -> ir.Value:
    """``value`` reshaped to 1-D."""
    return b.op("Reshape", [value, ints(b, [-1])])


#: Element types onnxruntime's CPU provider cannot add-scatter (no float16/bfloat16 kernel
#: for ScatterElements/ScatterND with ``reduction="add"``): :func:`scatter_add` widens them.
NARROW_FLOATS = (ir.DataType.FLOAT16, ir.DataType.BFLOAT16)


def scatter_add(b: GraphBuilder, op_type: str, like, data, indices, updates, attrs=None):
    """``op_type`` (ScatterElements or ScatterND) with ``reduction="add"`` of ``updates`` into
    ``data``, both of the forward value ``like``'s element type: float16/bfloat16 (a
    mixed-precision layer's gradients) scatter in float32 and are cast back, which also keeps
    a sum of many float16 updates from rounding at each add."""
    attrs = {**(attrs or {}), "reduction": "add"}
    dtype = like.dtype
    if dtype not in NARROW_FLOATS:
        return b.op(op_type, [data, indices, updates], attrs)
    wide = ir.DataType.FLOAT
    data, updates = (b.op("Cast", [v], {"to": wide}) for v in (data, updates))
    return b.op("Cast", [b.op(op_type, [data, indices, updates], attrs)], {"to": dtype})


def scatter_flat(
    b: GraphBuilder,
    x: ir.Value,
    flat_index: ir.Value,
    flat_updates: ir.Value,
    reduction: str = "none",
) -> ir.Value:
    """Zeros shaped like ``x`` with ``flat_updates`` written (``reduction='add'``: added) at the
    flat positions ``flat_index``."""
    zeros = flat(b, zeros_like(b, x))
    if reduction == "add":
        out = scatter_add(b, "ScatterElements", x, zeros, flat_index, flat_updates, {"axis": 0})
    else:
        out = b.op("ScatterElements", [zeros, flat_index, flat_updates], {"axis": 0})
    return reshape_like(b, out, x)
