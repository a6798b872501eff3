"""Gradient rule of ``Resize`` as ``kgraph.ops.image.resize`` emits it.

Linear (half-pixel, optionally antialiased with ``exclude_outside``) and nearest (half-pixel,
``round_prefer_ceil``) resizing of the two middle axes of a static (N, H, W, C) tensor are linear
maps ``y = Wh^T x Ww``; the gradient is ``Wh g Ww^T``, two MatMuls with the same matrices
(``compiler.image_filters``). Other Resize configurations raise NotImplementedError.
"""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, dims, np_dtype, transpose
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.image_filters import resize_weights


def _method(node) -> str | None:
    mode = attr(node, "mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = attr(node, "coordinate_transformation_mode", "half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    if ctm != "half_pixel" or attr(node, "axes") is not None:
        return None
    if mode == "linear" and (not attr(node, "antialias", 0) or attr(node, "exclude_outside", 0)):
        return "bilinear"
    nearest = attr(node, "nearest_mode", "round_prefer_floor")
    nearest = nearest.decode() if isinstance(nearest, bytes) else nearest
    return "nearest" if mode == "nearest" and nearest == "round_prefer_ceil" else None


@rule("Resize")
def _resize(b, node, grads):
    x, y = node.inputs[0], node.outputs[0]
    xs, ys = dims(x), dims(y)
    method = _method(node)
    if (
        method is None
        or len(xs) != 4
        or None in (*xs[1:3], *ys[1:3])
        or (xs[3] is not None and xs[3] != ys[3])
    ):
        raise NotImplementedError(
            f"No gradient for Resize node '{node.name}' with these attributes or shapes "
            f"({xs} -> {ys}); kgraph differentiates NHWC linear/nearest half-pixel resizes."
        )
    antialias = bool(attr(node, "antialias", 0))
    dtype = np_dtype(x)
    wh = b.constant(resize_weights(xs[1], ys[1], method, antialias).T.copy().astype(dtype))
    ww = b.constant(resize_weights(xs[2], ys[2], method, antialias).T.copy().astype(dtype))
    g = b.op("MatMul", [transpose(b, grads[0], [0, 1, 3, 2]), ww])  # N OH C W
    g = b.op("MatMul", [transpose(b, g, [0, 2, 3, 1]), wh])  # N C W H
    return [transpose(b, g, [0, 3, 2, 1]), None, None, None]
