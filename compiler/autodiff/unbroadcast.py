"""Sums a broadcast gradient back to the shape of the operand that was broadcast."""

from __future__ import annotations

from collections.abc import Sequence

import onnx_ir as ir

from kgraph.compiler.autodiff.emit import ints, reduce_sum, static_shape
from kgraph.compiler.builder import GraphBuilder

_AMBIGUOUS = object()


def unbroadcast(
    b: GraphBuilder,
    grad: ir.Value,
    target: ir.Value,
    shape: Sequence[int | str | ir.SymbolicDim | None] | None = None,
) -> ir.Value:
    """Returns ``grad`` summed to the shape of ``target`` (numpy broadcasting reversed).

    Sums over the leading axes ``grad`` has in excess and over the axes where ``target`` has a 1
    that ``grad`` has not, then reshapes to ``target``'s shape. Static dims decide this at build
    time; where they cannot (an unknown rank, or a symbolic dim of ``target`` facing another
    dim of ``grad``) the axes are found at run time from ``Shape`` values instead.

    Args:
        b: Builder the nodes are appended to.
        grad: The gradient in the broadcast (output) shape.
        target: The operand whose shape the result takes.
        shape: Shape of ``grad`` (ints, symbols, ``None`` for unknown); default ``grad.shape``.
    """
    if shape is None and grad.shape is not None:
        shape = list(grad.shape)
    if shape is None or target.shape is None:
        return _dynamic(b, grad, target)
    gdims, tdims = list(shape), list(target.shape)
    lead = len(gdims) - len(tdims)
    if lead < 0:
        raise ValueError(
            f"Cannot unbroadcast a rank-{len(gdims)} gradient to '{target.name}' "
            f"of rank {len(tdims)}."
        )
    axes = list(range(lead))
    for i, (t, g) in enumerate(zip(tdims, gdims[lead:])):
        decision = _reduce_axis(t, g)
        if decision is _AMBIGUOUS:
            return _dynamic(b, grad, target)
        if decision:
            axes.append(lead + i)
    if not axes:
        return grad
    if len(axes) == lead:  # only leading axes: drop them while summing
        return reduce_sum(b, grad, axes, keepdims=False)
    summed = reduce_sum(b, grad, axes, keepdims=True)
    if lead == 0:
        return summed
    static = static_shape(target)
    if static is not None:
        return b.op("Reshape", [summed, ints(b, static)])
    return b.op("Squeeze", [summed, ints(b, range(lead))])


def _reduce_axis(t, g):
    """Whether an axis of size ``g`` in grad sums to size ``t`` of the target."""
    t, g = _plain(t), _plain(g)
    if isinstance(t, int):
        return t == 1 and g != 1
    if g == 1 or (t is not None and g == t):
        return False  # grad's 1 cannot come from a larger target dim; equal symbols match
    return _AMBIGUOUS


def _plain(dim):
    """An int, a symbol's name, or None (unknown)."""
    if dim is None or isinstance(dim, (int, str)):
        return dim
    return getattr(dim, "value", None)


def _dynamic(b: GraphBuilder, grad: ir.Value, target: ir.Value) -> ir.Value:
    """Run-time unbroadcast: sum over the axes where the rank-aligned shapes differ."""
    gshape, tshape = b.op("Shape", [grad]), b.op("Shape", [target])
    extra = b.op("Sub", [b.op("Size", [gshape]), b.op("Size", [tshape])])
    ones = b.op(
        "ConstantOfShape",
        [b.op("Reshape", [extra, ints(b, [1])])],
        {"value": ir.tensor([1], dtype=ir.DataType.INT64)},
    )
    aligned = b.op("Concat", [ones, tshape], {"axis": 0})
    differ = b.op("Not", [b.op("Equal", [gshape, aligned])])
    axes = b.op("Reshape", [b.op("NonZero", [differ]), ints(b, [-1])])
    summed = b.op("ReduceSum", [grad, axes], {"keepdims": 1, "noop_with_empty_axes": 1})
    return b.op("Reshape", [summed, tshape])
