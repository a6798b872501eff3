"""Gradient rules of the single ONNX activation nodes that kgraph's celu, soft_shrink,
hard_shrink and threshold lower to (readable graphs: one node instead of a Where chain):
``Celu``: 1 above 0, ``exp(x / alpha)`` below; ``Shrink`` and ``ThresholdedRelu``: 1 where the
input passes the threshold, 0 elsewhere (at the threshold itself, 0)."""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import const
from kgraph.compiler.autodiff.registry import rule


def _attr(node, name: str, default: float) -> float:
    attribute = node.attributes.get(name)
    return default if attribute is None else float(attribute.value)


def _masked(b, g, mask, x):
    return b.op("Where", [mask, g, const(b, 0.0, x)])


@rule("Celu")
def _celu(b, node, grads):
    x, g = node.inputs[0], grads[0]
    if g is None:
        return [None]
    alpha = _attr(node, "alpha", 1.0)
    below = b.op("Exp", [b.op("Div", [x, const(b, alpha, x)])])
    slope = b.op("Where", [b.op("Greater", [x, const(b, 0.0, x)]), const(b, 1.0, x), below])
    return [b.op("Mul", [g, slope])]


@rule("Shrink")
def _shrink(b, node, grads):
    x, g = node.inputs[0], grads[0]
    if g is None:
        return [None]
    lambd = _attr(node, "lambd", 0.5)
    return [_masked(b, g, b.op("Greater", [b.op("Abs", [x]), const(b, lambd, x)]), x)]


@rule("ThresholdedRelu")
def _thresholded_relu(b, node, grads):
    x, g = node.inputs[0], grads[0]
    if g is None:
        return [None]
    alpha = _attr(node, "alpha", 1.0)
    return [_masked(b, g, b.op("Greater", [x, const(b, alpha, x)]), x)]
