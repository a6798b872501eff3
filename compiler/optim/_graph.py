"""Graph helpers shared by the loss, metric and optimizer builders.

Float32 constants, Reduce* over axes across opsets (axes became an input in opset 18, ReduceSum
in 13), Keras' rank alignment of targets, predictions and weights, and ``divide_no_nan``. Values
the helpers return carry static dims (``shaped``) so that later rank decisions are static.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder, ir_dtype


def const(b: GraphBuilder, value: Any) -> ir.Value:
    """A float32 constant."""
    return b.constant(np.asarray(value, np.float32))


def dims(v: ir.Value) -> list:
    """The static dims of ``v`` (ints or symbols); raises if its rank is unknown."""
    if v.shape is None:
        raise ValueError(f"Value '{v.name}' has no known shape; losses and metrics need ranks.")
    return list(v.shape)


def is_one(dim: Any) -> bool:
    """Whether a dim is statically 1."""
    return isinstance(dim, int) and dim == 1


def shaped(v: ir.Value, shape: Sequence[Any], dtype: Any = np.float32) -> ir.Value:
    """Annotates ``v`` with a type and static dims and returns it."""
    v.type = ir.TensorType(dtype if isinstance(dtype, ir.DataType) else ir_dtype(dtype))
    v.shape = ir.Shape(list(shape))
    return v


def to_float(b: GraphBuilder, v: ir.Value) -> ir.Value:
    """``v`` as float32 (a Cast unless it already is)."""
    if v.dtype == ir.DataType.FLOAT:
        return v
    return shaped(b.op("Cast", [v], {"to": ir.DataType.FLOAT}), dims(v))


def reduce(b: GraphBuilder, op_type: str, x: ir.Value, axes=None, keepdims=False) -> ir.Value:
    """Emits ``op_type`` over ``axes`` (all axes when None); axes are an input from opset 18."""
    keep = int(bool(keepdims))
    if axes is None:
        out = b.op(op_type, [x], {"keepdims": keep})
        return shaped(out, [1] * len(dims(x)) if keepdims else [])
    rank = len(dims(x))
    axes = sorted(a % rank for a in axes)
    if op_type == "ReduceSum" or b.opset >= 18:
        out = b.op(op_type, [x, b.constant(np.asarray(axes, np.int64))], {"keepdims": keep})
    else:
        out = b.op(op_type, [x], {"axes": axes, "keepdims": keep})
    kept = [1 if i in axes else n for i, n in enumerate(dims(x)) if keepdims or i not in axes]
    return shaped(out, kept)


def unsqueeze_last(b: GraphBuilder, x: ir.Value, count: int = 1) -> ir.Value:
    """Appends ``count`` axes of size 1 to ``x``."""
    rank = len(dims(x))
    axes = np.arange(rank, rank + count, dtype=np.int64)
    out = b.op("Unsqueeze", [x, b.constant(axes)])
    return shaped(out, dims(x) + [1] * count, x.dtype or np.float32)


def squeeze_axis(b: GraphBuilder, x: ir.Value, axis: int) -> ir.Value:
    """Removes the size-1 ``axis`` of ``x``."""
    d = dims(x)
    axis %= len(d)
    out = b.op("Squeeze", [x, b.constant(np.asarray([axis], np.int64))])
    return shaped(out, d[:axis] + d[axis + 1 :], x.dtype or np.float32)


def squeeze_or_expand(b: GraphBuilder, x1: ir.Value, x2: ir.Value, expand_rank_1: bool = True):
    """Keras' rank alignment: when ranks differ by one and the longer one ends in 1, squeeze it
    (or expand the rank-1 other one when ``expand_rank_1``)."""
    r1, r2 = len(dims(x1)), len(dims(x2))
    if r1 == r2 + 1 and is_one(dims(x1)[-1]):
        if r2 == 1 and expand_rank_1:
            x2 = unsqueeze_last(b, x2)
        else:
            x1 = squeeze_axis(b, x1, -1)
    elif r2 == r1 + 1 and is_one(dims(x2)[-1]):
        if r1 == 1 and expand_rank_1:
            x1 = unsqueeze_last(b, x1)
        else:
            x2 = squeeze_axis(b, x2, -1)
    return x1, x2


def broadcast_dims(d1: Sequence[Any], d2: Sequence[Any]) -> list:
    """The static dims of a numpy-style broadcast of two shapes."""
    n = max(len(d1), len(d2))
    d1 = [1] * (n - len(d1)) + list(d1)
    d2 = [1] * (n - len(d2)) + list(d2)
    return [a if is_one(b_) else b_ if is_one(a) else a for a, b_ in zip(d1, d2)]


def binary(b: GraphBuilder, op_type: str, x: ir.Value, y: ir.Value) -> ir.Value:
    """An elementwise binary op with its broadcast dims annotated."""
    return shaped(b.op(op_type, [x, y]), broadcast_dims(dims(x), dims(y)))


def divide_no_nan(b: GraphBuilder, num: ir.Value, den: ir.Value) -> ir.Value:
    """``num / den``, and 0 where ``den == 0``."""
    zero = const(b, 0.0)
    is_zero = b.op("Equal", [den, zero])
    safe = b.op("Where", [is_zero, const(b, 1.0), den])
    out = b.op("Where", [is_zero, zero, b.op("Div", [num, safe])])
    if num.shape is not None and den.shape is not None:
        shaped(out, broadcast_dims(dims(num), dims(den)))
    return out


def element_count(b: GraphBuilder, x: ir.Value) -> ir.Value:
    """The number of elements of ``x`` as a float32 scalar."""
    return shaped(b.op("Cast", [b.op("Size", [x])], {"to": ir.DataType.FLOAT}), [])


def axis_size(b: GraphBuilder, x: ir.Value, axis: int) -> ir.Value:
    """The size of ``x`` along ``axis``: an int64 constant when static, else a ``Shape`` slice."""
    d = dims(x)
    axis %= len(d)
    if isinstance(d[axis], int):
        return b.constant(np.asarray([d[axis]], np.int64))
    return b.op("Shape", [x], {"start": axis, "end": axis + 1})


def logits_of(b: GraphBuilder, v: ir.Value, op_type: str, axis: int | None = None):
    """The input of the ``op_type`` (Softmax or Sigmoid) node that produces ``v``, or None.

    Looks through Cast and, for the elementwise Sigmoid, through Squeeze/Unsqueeze (re-applied to
    the logits). A Softmax counts only when its axis is the loss ``axis``.
    """
    node = v.producer()
    if node is None or node.domain not in ("", "ai.onnx"):
        return None
    if node.op_type == "Cast":
        return logits_of(b, node.inputs[0], op_type, axis)
    if op_type == "Sigmoid" and node.op_type in ("Squeeze", "Unsqueeze"):
        inner = logits_of(b, node.inputs[0], op_type)
        if inner is None:
            return None
        return shaped(b.op(node.op_type, [inner, *node.inputs[1:]]), dims(v), inner.dtype)
    if node.op_type != op_type:
        return None
    if axis is not None:
        attr = node.attributes.get("axis")
        rank = len(dims(v))
        if (attr.as_int() if attr is not None else -1) % rank != axis % rank:
            return None
    return node.inputs[0]
