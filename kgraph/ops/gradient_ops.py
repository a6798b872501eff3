"""``stop_gradient``: the identity, through which no gradient flows.

It lowers to an ONNX ``Identity`` whose node carries ``meta["stop_gradient"]``; the Identity
gradient rule returns no gradient for such a node (metadata is not serialized, so exported
graphs hold a plain Identity)."""

from __future__ import annotations

from kgraph.ops.core import Op, apply

#: The node metadata key the Identity gradient rule reads.
STOP_GRADIENT = "stop_gradient"


def _stop_gradient_lower(b, x):
    y = b.op("Identity", [x])
    y.producer().meta[STOP_GRADIENT] = True
    return y


_stop_gradient = Op("stop_gradient", lambda x: x, _stop_gradient_lower, promote=False)


def stop_gradient(variable):
    """``variable`` unchanged, treated as a constant by differentiation."""
    return apply(_stop_gradient, [variable])
