"""Gradient rules of the Reduce* ops.

Axes come from input 1 (ReduceSum from opset 13, the others from 18) or from the ``axes``
attribute; no axes means all of them (or none with ``noop_with_empty_axes``). The output
gradient is first given back the reduced axes (``Unsqueeze`` when ``keepdims=0``), then
broadcast to the input's shape, so symbolic dims (the batch) need no static shape.
"""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import (
    attr,
    const,
    constant_value,
    input_at,
    ints,
    mask_as,
    shape_of,
    static_shape,
)
from kgraph.compiler.autodiff.registry import rule


class _Reduction:
    """Reads a Reduce* node: where its axes are, whether it kept them."""

    def __init__(self, b, node):
        self.b, self.node = b, node
        self.keepdims = bool(attr(node, "keepdims", 1))
        self.noop = attr(node, "noop_with_empty_axes", 0)
        self.axes_input = input_at(node, 1)
        self.axes_attr = attr(node, "axes")
        if self.axes_input is not None:
            self.axes = self.axes_input
        elif self.axes_attr:
            self.axes = ints(b, self.axes_attr)
        else:
            self.axes = None  # all axes (or none with noop_with_empty_axes)
        found = constant_value(self.axes)
        if found is not None and found.size == 0:
            self.axes = None

    def keep(self, value):
        """``value`` (shaped like the output) with the reduced axes back as length-1 axes."""
        if self.keepdims or self.axes is None:
            return value
        return self.b.op("Unsqueeze", [value, self.axes])

    def expand(self, value):
        """A kept-dims ``value`` broadcast to the input's shape."""
        return self.b.op("Expand", [value, shape_of(self.b, self.node.inputs[0])])

    def again(self, op_type, x):
        """``op_type`` over the same axes as the node, keeping dims (same axes form)."""
        attrs = {"keepdims": 1, "noop_with_empty_axes": self.noop or None}
        if self.axes is None:
            return self.b.op(op_type, [x], attrs)
        if self.axes_input is not None or op_type == "ReduceSum":
            return self.b.op(op_type, [x, self.axes], attrs)
        return self.b.op(op_type, [x], {**attrs, "axes": self.axes_attr})


@rule("ReduceSum")
def _reduce_sum(b, node, grads):
    r = _Reduction(b, node)
    return [r.expand(r.keep(grads[0])), None]


@rule("ReduceMean")
def _reduce_mean(b, node, grads):
    r = _Reduction(b, node)
    x, y = node.inputs[0], node.outputs[0]
    sx, sy = static_shape(x), static_shape(y)
    if sx is not None and sy is not None:
        count = const(b, max(1, _size(sx)) / max(1, _size(sy)), x)
    else:
        sizes = [b.op("Cast", [b.op("Size", [v])], {"to": x.dtype}) for v in (x, y)]
        count = b.op("Div", sizes)
    return [r.expand(r.keep(b.op("Div", [grads[0], count]))), None]


@rule("ReduceMax", "ReduceMin")
def _reduce_extremum(b, node, grads):
    """Routes the gradient to the positions of the extremum, shared equally by ties."""
    r = _Reduction(b, node)
    x = node.inputs[0]
    mask = mask_as(b, b.op("Equal", [x, r.keep(node.outputs[0])]), x)
    share = b.op("Div", [r.keep(grads[0]), r.again("ReduceSum", mask)])
    return [b.op("Mul", [mask, share]), None]


@rule("ReduceProd")
def _reduce_prod(b, node, grads):
    """Exact with zeros: the product of the other elements, without dividing by zero."""
    r = _Reduction(b, node)
    x = node.inputs[0]
    zero, one = const(b, 0, x), const(b, 1, x)
    is_zero = b.op("Equal", [x, zero])
    nonzero = b.op("Where", [is_zero, one, x])
    prod = r.again("ReduceProd", nonzero)
    zeros = r.again("ReduceSum", mask_as(b, is_zero, x))
    lone_zero = b.op("And", [is_zero, b.op("Equal", [zeros, one])])
    with_zero = b.op("Where", [lone_zero, prod, zero])
    others = b.op("Where", [b.op("Equal", [zeros, zero]), b.op("Div", [prod, nonzero]), with_zero])
    return [b.op("Mul", [others, r.keep(grads[0])]), None]


@rule("ReduceSumSquare")
def _reduce_sum_square(b, node, grads):
    r = _Reduction(b, node)
    x = node.inputs[0]
    return [b.op("Mul", [b.op("Mul", [x, const(b, 2, x)]), r.keep(grads[0])]), None]


@rule("ReduceL1")
def _reduce_l1(b, node, grads):
    r = _Reduction(b, node)
    return [b.op("Mul", [b.op("Sign", [node.inputs[0]]), r.keep(grads[0])]), None]


@rule("ReduceL2")
def _reduce_l2(b, node, grads):
    r = _Reduction(b, node)
    share = b.op("Div", [r.keep(grads[0]), r.keep(node.outputs[0])])
    return [b.op("Mul", [node.inputs[0], share]), None]


@rule("ReduceLogSumExp")
def _reduce_log_sum_exp(b, node, grads):
    r = _Reduction(b, node)
    x = node.inputs[0]
    soft = b.op("Exp", [b.op("Sub", [x, r.keep(node.outputs[0])])])
    return [b.op("Mul", [soft, r.keep(grads[0])]), None]


def _size(shape) -> int:
    total = 1
    for d in shape:
        total *= d
    return total
