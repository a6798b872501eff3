"""Convolution variants beside ``ops.conv``: depthwise, separable and transposed convolutions.

Depthwise and separable convolutions are ``conv`` with a reshaped kernel (a grouped ONNX
``Conv``), so they share its lowering and gradient. ``conv_transpose`` emits ONNX
``ConvTranspose``; its pads are derived from Keras' (JAX backend) padding rule, so output sizes
and values match Keras for 'valid', 'same' and any ``output_padding``.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops.array import reshape
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import to_channels_first, to_channels_last, transpose
from kgraph.ops.nn import _check_format, _padding, _tuple, conv


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Depthwise convolution: each input channel convolved with its own ``depth_multiplier``
    filters. ``kernel`` has Keras' layout ``(*window, in_channels, depth_multiplier)``; output
    channel ``c * depth_multiplier + m`` is input channel ``c`` under filter ``m``."""
    k = _spec_of(kernel)
    x = _spec_of(inputs)
    if x.ndim != k.ndim:
        raise ValueError(
            f"depthwise_conv expects an input of rank {k.ndim} for a kernel of shape "
            f"{k.shape}. Received input shape {x.shape}."
        )
    if x.shape[-1] is not None and x.shape[-1] != k.shape[-2]:
        raise ValueError(
            f"depthwise_conv input has {x.shape[-1]} channels but the kernel of shape "
            f"{k.shape} expects {k.shape[-2]}."
        )
    grouped = reshape(kernel, (*k.shape[:-2], 1, k.shape[-2] * k.shape[-1]))
    return conv(inputs, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    """A depthwise convolution followed by a 1x…x1 pointwise convolution
    (``pointwise_kernel``: ``(1, …, 1, in_channels * depth_multiplier, filters)``)."""
    depthwise = depthwise_conv(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def transpose_pads(kernel: int, stride: int, dilation: int, padding: str, output_padding):
    """Keras' (begin, end) padding of the stride-dilated input, as ONNX ``ConvTranspose``
    (pad_begin, pad_end, output_padding): a negative end crop becomes output padding."""
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        left, right = effective - 1, effective - 1 + extra
    else:
        if output_padding is None:
            total = stride + effective - 2
        else:
            total = effective + effective % 2 - 2 + output_padding
        left = min(total // 2 + total % 2, effective - 1)
        right = total - left
    end = effective - 1 - right
    return effective - 1 - left, max(end, 0), max(-end, 0)


def transpose_output_length(length, kernel, stride, dilation, padding, output_padding):
    """Spatial output length of ``conv_transpose`` along one axis (``None`` stays unknown)."""
    if length is None:
        return None
    begin, end, extra = transpose_pads(kernel, stride, dilation, padding, output_padding)
    return (length - 1) * stride + (kernel - 1) * dilation + 1 - begin - end + extra


def _transpose_infer(x, kernel, *, strides, padding, output_padding, dilation):
    window = kernel.shape[:-2]
    if x.shape[-1] is not None and x.shape[-1] != kernel.shape[-1]:
        raise ValueError(
            f"conv_transpose input has {x.shape[-1]} channels but the kernel of shape "
            f"{kernel.shape} expects {kernel.shape[-1]}."
        )
    spatial = tuple(
        transpose_output_length(n, k, s, d, padding, p)
        for n, k, s, d, p in zip(x.shape[1:-1], window, strides, dilation, output_padding)
    )
    if any(d is not None and d <= 0 for d in spatial):
        raise ValueError(f"conv_transpose output would be empty: spatial shape {spatial}.")
    return Spec((x.shape[0], *spatial, kernel.shape[-2]), x.dtype)


def _transpose_lower(b, x, kernel, *, strides, padding, output_padding, dilation):
    rank = len(x.shape)
    window = list(kernel.shape)[:-2]
    n = len(window)
    pads = [
        transpose_pads(k, s, d, padding, p)
        for k, s, d, p in zip(window, strides, dilation, output_padding)
    ]
    # onnxruntime takes output padding below the stride; zeros past it are padded on after
    limits = [s - 1 for s in strides]
    w = transpose(b, kernel, [n + 1, n, *range(n)])  # (k..., out, in) -> (in, out, k...)
    y = b.op(
        "ConvTranspose",
        [transpose(b, x, to_channels_first(rank)), w],
        {
            "kernel_shape": window,
            "strides": list(strides),
            "dilations": list(dilation),
            "pads": [p[0] for p in pads] + [p[1] for p in pads],
            "output_padding": [min(p[2], m) for p, m in zip(pads, limits)],
        },
    )
    rest = [max(p[2] - m, 0) for p, m in zip(pads, limits)]
    if any(rest):
        y = b.op("Pad", [y, b.constant(np.asarray([0] * (n + 2) + [0, 0, *rest], np.int64))])
    return transpose(b, y, to_channels_last(rank))


_conv_transpose = Op("conv_transpose", _transpose_infer, _transpose_lower)


def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """Transposed convolution (the gradient of ``conv`` with respect to its input) of
    channels_last ``inputs`` with a Keras-layout kernel ``(*window, out_channels, in_channels)``.

    Output length per axis: 'valid' ``(n - 1) * s + max(k, s)``, 'same' ``n * s``; with
    ``output_padding`` ``p``: 'valid' ``(n - 1) * s + k + p``, 'same'
    ``(n - 1) * s + k % 2 + p`` (``k`` the dilated window), as in Keras.
    """
    _check_format(data_format)
    x, k = _spec_of(inputs), _spec_of(kernel)
    n = k.ndim - 2
    if x.ndim != n + 2:
        raise ValueError(
            f"conv_transpose expects an input of rank {n + 2} for a kernel of shape "
            f"{k.shape}. Received input shape {x.shape}."
        )
    pads = (None,) * n if output_padding is None else _tuple(output_padding, n, "output_padding")
    return apply(
        _conv_transpose,
        [inputs, kernel],
        strides=_tuple(strides, n, "strides"),
        padding=_padding(padding),
        output_padding=pads,
        dilation=_tuple(dilation_rate, n, "dilation_rate"),
    )


__all__ = ["conv_transpose", "depthwise_conv", "separable_conv"]
