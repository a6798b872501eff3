"""Gradient rules of ``Conv``: input gradient by ``ConvTranspose``, kernel gradient by im2col and
a batched ``MatMul`` or by a ``Conv`` over batch/channel-transposed tensors (chosen per layer,
see :data:`WEIGHT_GRAD_RECIPE`), bias gradient by ``ReduceSum``. Groups, strides, dilations and
explicit or automatic pads are supported; the batch and the spatial sizes may be symbolic
("same" pads at a stride above 1 then computed at run time, see ``window``)."""

from __future__ import annotations

import numpy as np

from kgraph.compiler.autodiff.emit import attr, dims, input_at, ints, reduce_sum, transpose
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.rules.window import (
    Window,
    fit_to_input,
    pad_input,
    window,
)

#: How the kernel gradient is computed: ``"conv"`` (a Conv with strides and dilations swapped
#: over (C, N, H, W)-transposed tensors), ``"im2col"`` (unfold by a Conv with a one-hot
#: kernel, then a MatMul batched over samples and groups, summed over the batch) or ``"auto"``:
#: im2col while its patches (C·K·P values per sample) fit :data:`IM2COL_MAX_BYTES_PER_SAMPLE`,
#: else conv. im2col is the faster one in onnxruntime 1.32 CPU: no (C, N, H, W) Transpose of
#: dy, and small GEMMs instead of a Conv whose input channels are the batch. Whole training
#: steps, batch 128, 2-core CPU: seed CNN (1 → 32 channels, 3x3 on 28x28) ~17% faster; with a
#: second Conv2D(64, 3x3) ~1.85x faster. Its cost is memory: the patches are K times the input.
WEIGHT_GRAD_RECIPE = "auto"
#: The per-sample size of the im2col patches above which ``"auto"`` picks ``"conv"``
#: (2 MiB: up to 256 MiB of transient patches at batch 128). 2 MiB takes in 3x3 convs of 32
#: channels on 32x32 maps (1.125 MiB), whose conv-recipe kernel gradient cost ~2.5x their
#: forward Conv against ~1x plus a small MatMul for im2col (ResNet-style CIFAR model, batch 64,
#: onnxruntime 1.32 CPU profile; benchmarks/RESULTS.md).
IM2COL_MAX_BYTES_PER_SAMPLE = 2 << 20
#: The most patch bytes (over the whole batch; 64 samples assumed when it is symbolic) that one
#: im2col unfolding holds at once. Patches are transient, but the largest set the step's peak
#: memory: in the ResNet-style CIFAR model (batch 64) a 32-channel 3x3 layer on 32x32 maps
#: unfolds 83 MB; in two runs of channels the fit's peak RSS went 524 -> 495 MiB.
IM2COL_CHUNK_BYTES = 48 << 20


@rule("Conv")
def _conv(b, node, grads):
    x, w = node.inputs[:2]
    bias = input_at(node, 2)
    g = grads[0]
    geo = window(node, dims(w)[2:])
    group = attr(node, "group", 1)
    dx = b.op(
        "ConvTranspose",
        [g, w],
        {**geo.transpose_attrs(), "group": group, "kernel_shape": geo.kernel},
    )
    dx = fit_to_input(b, dx, x, geo)
    db = None
    if not geo.static:  # symbolic lengths: the recipe that needs no sizes (pads made explicit)
        dw = weight_grad_by_conv(b, pad_input(b, x, geo), w, g, geo, group)
    elif _is_pointwise(geo, group):
        dw = weight_grad_pointwise(b, x, w, g, geo)
    elif _recipe(x, w, geo, group) == "im2col":
        dw, db = _weight_grad_im2col(b, x, w, g, geo, group, with_bias=bias is not None)
    else:
        dw = weight_grad_by_conv(b, x, w, g, geo, group)
    if bias is not None and db is None:  # spatial axes first: onnxruntime sums those ~4x faster
        per_sample = reduce_sum(b, g, list(range(2, 2 + len(geo.kernel))), keepdims=False)
        db = reduce_sum(b, per_sample, [0], keepdims=False)
    return [dx, dw, db][: len(node.inputs)]


def _recipe(x, w, geo: Window, group: int) -> str:
    if WEIGHT_GRAD_RECIPE != "auto":
        return WEIGHT_GRAD_RECIPE
    if group > 1 and group == dims(x)[1]:
        # Depthwise: im2col would unfold every (sample, channel) plane with its own tiny Conv
        # and MatMul; the conv recipe is one grouped Conv (MobileNetV3Small's 5x5 layers,
        # 240 channels on 6x6, batch 32: 7.9 against 22.6 ms).
        return "conv"
    size = dims(x)[1] * int(np.prod(geo.kernel)) * int(np.prod(geo.out))
    size *= np.dtype(x.dtype.numpy()).itemsize
    return "im2col" if size <= IM2COL_MAX_BYTES_PER_SAMPLE else "conv"


def _is_pointwise(geo: Window, group: int) -> bool:
    """A 1x1 convolution that reads every input cell once: its patches are the input."""
    ones = [1] * len(geo.kernel)
    plain = geo.strides == ones and not any(geo.begin) and not any(geo.end)
    return group == 1 and geo.kernel == ones and plain


def weight_grad_pointwise(b, x, w, g, geo: Window):
    """``dW = Σₙ dy[n] · x[n]ᵀ`` of a 1x1 convolution, without unfolding ``x``.

    One GEMM over batch and cells after moving the channels first, when those two transposes
    move less than the per-sample products summed over the batch (``P·(O + C) < O·C``: a
    squeeze-and-excitation block's single cell, wide layers on small maps), else the batched
    MatMul and sum. MobileNetV3Small fine-tuning, batch 32: its 1x1 kernel gradients ~83 ->
    ~20 ms per step (im2col unfolded the input with an identity Conv and summed ``N·O·C``
    per-sample products).
    """
    channels, filters = dims(x)[1], dims(w)[0]
    points = int(np.prod(geo.out))
    x3 = b.op("Reshape", [x, ints(b, [0, channels, points])])
    g3 = b.op("Reshape", [g, ints(b, [0, filters, points])])
    if points * (filters + channels) < filters * channels:
        xt = b.op("Reshape", [transpose(b, x3, [1, 0, 2]), ints(b, [channels, -1])])
        gt = b.op("Reshape", [transpose(b, g3, [1, 0, 2]), ints(b, [filters, -1])])
        dw = b.op("MatMul", [gt, transpose(b, xt, [1, 0])])
    else:
        products = b.op("MatMul", [g3, transpose(b, x3, [0, 2, 1])])  # (N, O, C)
        dw = reduce_sum(b, products, [0], keepdims=False)
    return b.op("Reshape", [dw, ints(b, [filters, channels, *geo.kernel])])


def weight_grad_by_conv(b, x, w, g, geo: Window, group: int):
    """``dW[m, c] = corr(x[:, c], dy[:, m])`` over the batch: the batch becomes the channels."""
    n = len(geo.kernel)
    channels, filters = dims(x)[1], dims(w)[0]
    c, m = channels // group, filters // group
    swap = [1, 0, *range(2, 2 + n)]
    if group == 1:
        xt, gt = transpose(b, x, swap), transpose(b, g, swap)
    else:  # (N, G·c, …) -> (c, G·N, …) and (N, G·m, …) -> (G·m, N, …), group-major
        xg = _split_channels(b, x, group, c, geo.spatial)
        xt = _merge_second_axes(b, transpose(b, xg, [2, 1, 0, *range(3, 3 + n)]), c, geo.spatial)
        gg = _split_channels(b, g, group, m, geo.out)
        gt = _merge_second_axes(b, transpose(b, gg, [1, 2, 0, *range(3, 3 + n)]), filters, geo.out)
    res = b.op(
        "Conv",
        [xt, gt],
        {
            "strides": geo.dilations,
            "dilations": geo.strides,
            "pads": geo.begin + geo.end,
            "group": group,
        },
    )
    if not geo.static or _correlation_extent(geo) != geo.kernel:
        res = b.op("Slice", [res, ints(b, [0] * n), ints(b, geo.kernel), ints(b, range(2, 2 + n))])
    return transpose(b, res, swap)


def _correlation_extent(geo: Window) -> list[int]:
    """The kernel-gradient Conv's output extent: longer than the kernel when the last window
    left input cells unread."""
    return [
        (size + pb + pe - (o - 1) * s - 1) // d + 1
        for size, o, s, d, pb, pe in zip(
            geo.spatial, geo.out, geo.strides, geo.dilations, geo.begin, geo.end
        )
    ]


def _split_channels(b, t, group: int, per_group: int, spatial):
    """(N, G·c, …) -> (N, G, c, …); symbolic spatial sizes are read from ``t``."""
    if None not in spatial:
        return b.op("Reshape", [t, ints(b, [0, group, per_group, *spatial])])
    tail = b.op("Slice", [b.op("Shape", [t]), ints(b, [2]), ints(b, [len(spatial) + 2])])
    return b.op("Reshape", [t, b.op("Concat", [ints(b, [0, group, per_group]), tail], {"axis": 0})])


def _merge_second_axes(b, t, first: int, spatial):
    """(a, G, N, …) -> (first, G·N, …); symbolic spatial sizes are read from ``t``."""
    if None not in spatial:
        return b.op("Reshape", [t, ints(b, [first, -1, *spatial])])
    tail = b.op("Slice", [b.op("Shape", [t]), ints(b, [3]), ints(b, [len(spatial) + 3])])
    return b.op("Reshape", [t, b.op("Concat", [ints(b, [first, -1]), tail], {"axis": 0})])


def _weight_grad_im2col(b, x, w, g, geo: Window, group: int, with_bias: bool = False):
    """The im2col kernel gradient, unfolding at most :data:`IM2COL_CHUNK_BYTES` of patches at
    a time: an ungrouped layer whose patches are larger is split into runs of input channels,
    each unfolded, multiplied and summed before the next, and their kernel slices are
    concatenated. Returns ``(dW, dB or None)``."""
    channels, filters = dims(x)[1], dims(w)[0]
    per_channel = (int(np.prod(geo.kernel)) + int(with_bias)) * int(np.prod(geo.out))
    per_channel *= np.dtype(x.dtype.numpy()).itemsize * _static_batch(x)
    step = max(1, IM2COL_CHUNK_BYTES // per_channel)
    if group > 1 or step >= channels:
        return _im2col_part(b, x, channels, filters, g, geo, group, with_bias)
    parts, db = [], None
    for low in range(0, channels, step):
        high = min(low + step, channels)
        part = b.op("Slice", [x, ints(b, [low]), ints(b, [high]), ints(b, [1])])
        part.dtype = x.dtype
        dw, bias = _im2col_part(b, part, high - low, filters, g, geo, 1, with_bias and not low)
        parts.append(dw)
        db = bias if bias is not None else db
    return b.op("Concat", parts, {"axis": 1}), db


def _static_batch(x) -> int:
    """The batch size when static, else 64 (a typical batch to size the chunks by)."""
    batch = dims(x)[0]
    return batch if isinstance(batch, int) else 64


def _im2col_part(b, x, channels, filters, g, geo: Window, group: int, with_bias: bool):
    """Unfold ``x`` into (N, G, c·K, P) patches with a one-hot kernel Conv, multiply by ``dyᵀ``
    per sample and group (a batched MatMul that reads both operands in their own layout), then
    sum over the batch: no Transpose of the activations or of their gradient.

    With ``with_bias`` each channel's patches get one more row of ones, whose product with
    ``dyᵀ`` is the bias gradient: dy is read once for both. Returns ``(dW, dB or None)``.
    """
    c, m = channels // group, filters // group
    size = int(np.prod(geo.kernel))
    rows = size + int(with_bias)
    points = int(np.prod(geo.out))
    patches = _patches(b, x, geo, with_bias)  # (N·C, K (+1), …out)
    patches = b.op("Reshape", [patches, ints(b, [-1, group, c * rows, points])])
    dy = b.op("Reshape", [g, ints(b, [-1, group, m, points])])  # (N, G, m, P)
    products = b.op("MatMul", [patches, transpose(b, dy, [0, 1, 3, 2])])  # (N, G, c·rows, m)
    summed = reduce_sum(b, products, [0], keepdims=False)  # (G, c·rows, m)
    db = None
    if with_bias:
        summed = b.op("Reshape", [summed, ints(b, [group, c, rows, m])])
        ones = b.op("Slice", [summed, ints(b, [0, size]), ints(b, [1, rows]), ints(b, [1, 2])])
        db = b.op("Reshape", [ones, ints(b, [filters])])  # (G, 1, 1, m): filter g·m + j
        summed = b.op("Slice", [summed, ints(b, [0]), ints(b, [size]), ints(b, [2])])
        summed = b.op("Reshape", [summed, ints(b, [group, c * size, m])])
    dw = transpose(b, summed, [0, 2, 1])  # (G, m, cK)
    return b.op("Reshape", [dw, ints(b, [filters, c, *geo.kernel])]), db


def _patches(b, x, geo: Window, ones: bool = False):
    """(N·C, K, …out) patches: a Conv of each channel with a one-hot kernel per offset; with
    ``ones`` a (K+1)-th channel of ones (a zero filter with bias 1).

    2-D windows get a unit axis in front (a 3-D Conv): onnxruntime's NCHWc rewrite takes only
    4-D kernels, and for these K one-hot filters it pads them to its block size and reorders
    the output back to NCHW: 0.58 ms instead of 0.31 ms per step on the seed CNN.
    """
    n = len(geo.kernel)
    size = int(np.prod(geo.kernel))
    unit = [1] if n == 2 else []
    eye = np.eye(size + int(ones), size, dtype=x.dtype.numpy()).reshape(-1, 1, *unit, *geo.kernel)
    single = b.op("Reshape", [x, ints(b, [-1, 1, *unit, *geo.spatial])])  # (N·C, 1, …)
    inputs = [single, b.constant(eye)]
    if ones:
        inputs.append(b.constant(np.eye(1, size + 1, size, dtype=eye.dtype).reshape(-1)))
    zero = [0] * len(unit)
    return b.op(
        "Conv",
        inputs,
        {
            "strides": [*unit, *geo.strides],
            "dilations": [*unit, *geo.dilations],
            "pads": [*zero, *geo.begin, *zero, *geo.end],
            "kernel_shape": [*unit, *geo.kernel],
        },
    )
