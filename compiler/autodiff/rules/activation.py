"""Gradient rule of ``HardSwish`` (``x * max(0, min(1, x / 6 + 1/2))``, a single ONNX node
for Keras' hard_silu / hard_swish): ``(2x + 3) / 6`` on the curved part, 1 above it (x >= 3),
0 below (x <= -3); at the kinks the curved side's value. (HardSigmoid's rule is with the
other element-wise rules.)"""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import const
from kgraph.compiler.autodiff.registry import rule


@rule("HardSwish")
def _hard_swish(b, node, grads):
    x, g = node.inputs[0], grads[0]
    if g is None:
        return [None]
    curve = b.op("Add", [b.op("Mul", [x, const(b, 1.0 / 3.0, x)]), const(b, 0.5, x)])
    above = b.op("Where", [b.op("GreaterOrEqual", [x, const(b, 3.0, x)]), const(b, 1.0, x),
                           const(b, 0.0, x)])  # fmt: skip
    inside = b.op("And", [b.op("Greater", [x, const(b, -3.0, x)]),
                          b.op("Less", [x, const(b, 3.0, x)])])  # fmt: skip
    return [b.op("Mul", [g, b.op("Where", [inside, curve, above])])]
