"""Gradient rules of ``Conv``: input gradient by ``ConvTranspose``, kernel gradient by a ``Conv``
over batch/channel-transposed tensors (or, selected by :data:`WEIGHT_GRAD_RECIPE`, by im2col
and ``MatMul``), bias gradient by ``ReduceSum``. Groups, strides, dilations and explicit or
automatic pads are supported; spatial dims must be static, the batch may be symbolic."""

from __future__ import annotations

import numpy as np

from compiler.autodiff.emit import attr, dims, input_at, ints, reduce_sum, transpose
from compiler.autodiff.registry import rule
from compiler.autodiff.rules.window import Window, window

#: How the kernel gradient is computed: ``"conv"`` (a Conv with strides and dilations swapped
#: over (C, N, H, W)-transposed tensors; the faster one in onnxruntime CPU on the seed CNN) or
#: ``"im2col"`` (unfold by a Conv with a one-hot kernel, then a batched MatMul).
WEIGHT_GRAD_RECIPE = "conv"


@rule("Conv")
def _conv(b, node, grads):
    x, w = node.inputs[:2]
    bias = input_at(node, 2)
    g = grads[0]
    geo = window(node, dims(w)[2:])
    group = attr(node, "group", 1)
    dx = b.op("ConvTranspose", [g, w], {**geo.transpose_attrs(), "group": group,
                                         "kernel_shape": geo.kernel})
    recipe = _weight_grad_conv if WEIGHT_GRAD_RECIPE == "conv" else _weight_grad_im2col
    dw = recipe(b, x, w, g, geo, group)
    db = None
    if bias is not None:
        db = reduce_sum(b, g, [0, *range(2, 2 + len(geo.kernel))], keepdims=False)
    return [dx, dw, db][: len(node.inputs)]


def _weight_grad_conv(b, x, w, g, geo: Window, group: int):
    """``dW[m, c] = corr(x[:, c], dy[:, m])`` over the batch: the batch becomes the channels."""
    n = len(geo.kernel)
    channels, filters = dims(x)[1], dims(w)[0]
    c, m = channels // group, filters // group
    swap = [1, 0, *range(2, 2 + n)]
    if group == 1:
        xt, gt = transpose(b, x, swap), transpose(b, g, swap)
    else:  # (N, G·c, …) -> (c, G·N, …) and (N, G·m, …) -> (G·m, N, …), group-major
        xg = b.op("Reshape", [x, ints(b, [0, group, c, *geo.spatial])])
        xt = b.op("Reshape", [transpose(b, xg, [2, 1, 0, *range(3, 3 + n)]),
                              ints(b, [c, -1, *geo.spatial])])
        gg = b.op("Reshape", [g, ints(b, [0, group, m, *geo.out])])
        gt = b.op("Reshape", [transpose(b, gg, [1, 2, 0, *range(3, 3 + n)]),
                              ints(b, [filters, -1, *geo.out])])
    res = b.op("Conv", [xt, gt], {"strides": geo.dilations, "dilations": geo.strides,
                                  "pads": geo.begin + geo.end, "group": group})
    full = [(size + pb + pe - (o - 1) * s - 1) // d + 1 for size, o, s, d, pb, pe in zip(
        geo.spatial, geo.out, geo.strides, geo.dilations, geo.begin, geo.end)]
    if full != geo.kernel:  # the correlation is longer when the last window left cells unread
        res = b.op("Slice", [res, ints(b, [0] * n), ints(b, geo.kernel), ints(b, range(2, 2 + n))])
    return transpose(b, res, swap)


def _weight_grad_im2col(b, x, w, g, geo: Window, group: int):
    """Unfold ``x`` into (N, C·K, P) patches with a one-hot kernel Conv, then ``dy @ patchesᵀ``
    batched over the groups."""
    channels, filters = dims(x)[1], dims(w)[0]
    c, m = channels // group, filters // group
    size = int(np.prod(geo.kernel))
    points = int(np.prod(geo.out))
    eye = np.eye(size, dtype=x.dtype.numpy()).reshape(size, 1, *geo.kernel)
    single = b.op("Reshape", [x, ints(b, [-1, 1, *geo.spatial])])  # (N·C, 1, …)
    patches = b.op("Conv", [single, b.constant(eye)], {
        "strides": geo.strides, "dilations": geo.dilations, "pads": geo.begin + geo.end})
    patches = b.op("Reshape", [patches, ints(b, [-1, group, c * size, points])])  # (N, G, cK, P)
    patches = b.op("Reshape", [transpose(b, patches, [1, 0, 3, 2]), ints(b, [group, -1, c * size])])
    dy = b.op("Reshape", [g, ints(b, [-1, group, m, points])])  # (N, G, m, P)
    dy = b.op("Reshape", [transpose(b, dy, [1, 2, 0, 3]), ints(b, [group, m, -1])])
    dw = b.op("MatMul", [dy, patches])  # (G, m, c·K)
    return b.op("Reshape", [dw, ints(b, [filters, c, *geo.kernel])])
