"""Gradient rules of Tile, Trilu and CumSum.

``Tile``: the gradient, viewed as ``(r0, d0, r1, d1, ...)``, summed over the repeat axes (the
view's shape is built from ``Shape`` values, so symbolic dims work). ``Trilu`` keeps the same
triangle of the gradient. ``CumSum``: a cumulative sum of the gradient in the other direction.
"""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, input_at, ints, rank, shape_of
from kgraph.compiler.autodiff.registry import rule


@rule("Tile")
def _tile(b, node, grads):
    x, repeats = node.inputs
    n = rank(x)
    pairs = [b.op("Unsqueeze", [v, ints(b, [1])]) for v in (repeats, shape_of(b, x))]
    view = b.op("Reshape", [b.op("Concat", pairs, {"axis": 1}), ints(b, [-1])])
    split = b.op("Reshape", [grads[0], view])
    summed = b.op("ReduceSum", [split, ints(b, range(0, 2 * n, 2))], {"keepdims": 0})
    return [summed, None]


@rule("Trilu")
def _trilu(b, node, grads):
    k = input_at(node, 1)
    inputs = [grads[0]] + ([k] if k is not None else [])
    return [b.op("Trilu", inputs, {"upper": attr(node, "upper", 1)})] + [None] * (
        len(node.inputs) - 1
    )


@rule("CumSum")
def _cumsum(b, node, grads):
    attrs = {"exclusive": attr(node, "exclusive", 0), "reverse": 1 - attr(node, "reverse", 0)}
    return [b.op("CumSum", [grads[0], node.inputs[1]], attrs), None]
