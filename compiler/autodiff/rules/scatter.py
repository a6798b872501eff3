"""Gradient rules of TopK, GatherElements, ScatterElements and ScatterND.

Gathers scatter-add the gradient back to where the values came from; scatters gather it
from where the updates went, and (when they overwrite) zero it there for the old data. For
ScatterND's max/min reductions the gradient goes to every element equal to the result; for
its mul reduction to each factor the product of the others (exact with zeros).
"""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, const, mask_as, scatter_add, zeros_like
from kgraph.compiler.autodiff.registry import rule


def _reduction(node) -> str:
    found = attr(node, "reduction", "none")
    return found.decode() if isinstance(found, bytes) else found


@rule("TopK")
def _top_k(b, node, grads):
    x = node.inputs[0]
    g, indices = grads[0], node.outputs[1]
    if g is None:
        return [None, None]
    attrs = {"axis": attr(node, "axis", -1)}
    return [scatter_add(b, "ScatterElements", x, zeros_like(b, x), indices, g, attrs), None]


@rule("GatherElements")
def _gather_elements(b, node, grads):
    data, indices = node.inputs
    attrs = {"axis": attr(node, "axis", 0)}
    zeros = zeros_like(b, data)
    return [scatter_add(b, "ScatterElements", data, zeros, indices, grads[0], attrs), None]


@rule("ScatterElements")
def _scatter_elements(b, node, grads):
    _, indices, updates = node.inputs
    axis, reduction, g = attr(node, "axis", 0), _reduction(node), grads[0]
    if reduction not in ("none", "add"):
        raise NotImplementedError(f"No ScatterElements gradient for reduction='{reduction}'.")
    d_updates = b.op("GatherElements", [g, indices], {"axis": axis})
    if reduction == "add":
        return [g, None, d_updates]
    d_data = b.op("ScatterElements", [g, indices, zeros_like(b, updates)], {"axis": axis})
    return [d_data, None, d_updates]


@rule("ScatterND")
def _scatter_nd(b, node, grads):
    data, indices, updates = node.inputs
    reduction, g, y = _reduction(node), grads[0], node.outputs[0]
    d_updates = b.op("GatherND", [g, indices])
    if reduction == "add":
        return [g, None, d_updates]
    if reduction == "none":
        return [b.op("ScatterND", [g, indices, zeros_like(b, updates)]), None, d_updates]
    if reduction in ("max", "min"):
        picked = b.op("GatherND", [y, indices])
        d_updates = b.op("Mul", [d_updates, mask_as(b, b.op("Equal", [updates, picked]), updates)])
        d_data = b.op("Mul", [g, mask_as(b, b.op("Equal", [data, y]), data)])
        return [d_data, None, d_updates]
    if reduction == "mul":
        return _scatter_nd_mul(b, node, g)
    raise NotImplementedError(f"No ScatterND gradient for reduction='{reduction}'.")


def _scatter_nd_mul(b, node, g):
    """``y[k] = data[k] * prod(updates scattered to k)``, differentiated without dividing by a
    zero: per target, the product of the nonzero updates and the count of zero ones."""
    data, indices, updates = node.inputs
    zero, one = const(b, 0, updates), const(b, 1, updates)
    is_zero = b.op("Equal", [updates, zero])
    nonzero = b.op("Where", [is_zero, one, updates])
    ones = b.op("Add", [zeros_like(b, data), const(b, 1, data)])
    product = b.op("ScatterND", [ones, indices, nonzero], {"reduction": "mul"})
    zeros = b.op(
        "ScatterND",
        [zeros_like(b, data), indices, mask_as(b, is_zero, updates)],
        {"reduction": "add"},
    )
    mine, count = b.op("GatherND", [product, indices]), b.op("GatherND", [zeros, indices])
    lone = b.op("And", [is_zero, b.op("Equal", [count, one])])
    others = b.op(
        "Where",
        [
            b.op("Equal", [count, zero]),
            b.op("Div", [mine, nonzero]),
            b.op("Where", [lone, mine, zero]),
        ],
    )
    d_updates = b.op("Mul", [b.op("GatherND", [b.op("Mul", [g, data]), indices]), others])
    d_data = b.op("ScatterND", [g, indices, updates], {"reduction": "mul"})
    return [d_data, None, d_updates]
