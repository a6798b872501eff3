"""Gradient rule of ``Resize`` as ``kgraph.ops.image.resize`` emits it.

Linear (half-pixel, optionally antialiased with ``exclude_outside``) and nearest (half-pixel,
``round_prefer_ceil``) resizing of the two middle axes of an (N, H, W, C) tensor are linear
maps ``y = Wh^T x Ww``; the gradient is ``Wh g Ww^T``, two MatMuls with the same matrices.
With static sizes the matrices are constants (``compiler.image_filters``); when H or W is
only known at run time (``Input((None, None, C))``), each is the same Resize applied to an
identity of the run-time size (:func:`_runtime_weights`). Other Resize configurations raise
NotImplementedError.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.autodiff.emit import attr, dims, input_at, ints, np_dtype, transpose
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
    static = len(xs) == 4 and None not in (*xs[1:3], *ys[1:3])
    if (
        method is None
        or len(xs) != 4
        or (xs[3] is not None and xs[3] != ys[3])
        or (not static and input_at(node, 2) is not None)
    ):
        raise NotImplementedError(
            f"No gradient for Resize node '{node.name}' with these attributes or shapes "
            f"({xs} -> {ys}); kgraph differentiates NHWC linear/nearest half-pixel resizes "
            "(by output sizes when the input size is symbolic)."
        )
    if static:
        antialias = bool(attr(node, "antialias", 0))
        dtype = np_dtype(x)
        wh = b.constant(resize_weights(xs[1], ys[1], method, antialias).T.copy().astype(dtype))
        ww = b.constant(resize_weights(xs[2], ys[2], method, antialias).T.copy().astype(dtype))
    else:
        wh, ww = _runtime_weights(b, node, 1), _runtime_weights(b, node, 2)
    g = b.op("MatMul", [transpose(b, grads[0], [0, 1, 3, 2]), ww])  # N OH C W
    g = b.op("MatMul", [transpose(b, g, [0, 2, 3, 1]), wh])  # N C W H
    return [transpose(b, g, [0, 3, 2, 1]), None, None, None]


def _runtime_weights(b, node, axis: int):
    """The (out, in) matrix of ``node``'s resize along ``axis`` (1: H, 2: W) for run-time
    sizes: the node's own Resize (same attributes, so the same kernel and rounding) of an
    identity whose basis vectors lie along ``axis`` and are counted along the channels,
    i.e. a (1, H, 1, H) or (1, 1, W, W) tensor resized to (1, OH, 1, H) or (1, 1, OW, W)."""
    x, y = node.inputs[0], node.outputs[0]
    size = b.op("Slice", [b.op("Shape", [x]), ints(b, [axis]), ints(b, [axis + 1])])
    out = b.op("Slice", [b.op("Shape", [y]), ints(b, [axis]), ints(b, [axis + 1])])
    scalar = b.op("Reshape", [size, ints(b, [])])
    cells = b.op("Range", [b.constant(np.int64(0)), scalar, b.constant(np.int64(1))])
    along = [1, 1, 1, 1]
    along[axis] = -1
    eye = b.op(
        "Equal",
        [
            b.op("Reshape", [cells, ints(b, along)]),
            b.op("Reshape", [cells, ints(b, [1, 1, 1, -1])]),
        ],
    )
    basis = b.op("Cast", [eye], {"to": ir.DataType.from_numpy(np_dtype(x))})
    ones = ints(b, [1])
    parts = [ones, out, ones, size] if axis == 1 else [ones, ones, out, size]
    sizes = b.op("Concat", parts, {"axis": 0})
    attrs = {name: attr(node, name) for name in node.attributes}
    resized = b.op("Resize", [basis, None, None, sizes], attrs)
    return b.op("Squeeze", [resized, ints(b, [0, 3 - axis])])
