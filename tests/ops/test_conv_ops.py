"""``depthwise_conv``, ``separable_conv`` and ``conv_transpose`` against float64 numpy references
(a per-channel convolution, and the scatter definition of a transposed convolution with
TensorFlow's cropping)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops import opcheck as ref
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params


def depthwise_ref(x, kernel, strides=1, padding="valid", dilation_rate=1):
    """Channel ``c`` convolved with ``kernel[..., c, m]`` gives output channel ``c * dm + m``."""
    per_channel = [
        ref.conv(x[..., c : c + 1], kernel[..., c : c + 1, :], strides, padding, dilation_rate)
        for c in range(x.shape[-1])
    ]
    return np.concatenate(per_channel, axis=-1)


def transpose_ref(x, kernel, strides=1, padding="valid", output_padding=None, dilation_rate=1):
    """Scatter ``x[i] * w[k]`` to ``i * s + k * d``, then crop as TensorFlow: 'valid' keeps the
    start, 'same' drops half of the padding a forward 'same' conv of the output would add."""
    n = kernel.ndim - 2
    s, d = ref._ntuple(strides, n), ref._ntuple(dilation_rate, n)
    window = kernel.shape[:n]
    eff = [(k - 1) * r + 1 for k, r in zip(window, d)]
    sizes = x.shape[1:-1]
    full = np.zeros(
        (x.shape[0], *[(m - 1) * st + e for m, st, e in zip(sizes, s, eff)], kernel.shape[-2])
    )
    for offset in np.ndindex(*window):
        contrib = x.astype(np.float64) @ kernel[offset].astype(np.float64).T
        index = tuple(
            slice(o * r, o * r + (m - 1) * st + 1, st) for o, r, st, m in zip(offset, d, s, sizes)
        )
        full[(slice(None), *index)] += contrib
    extra = ref._ntuple(0 if output_padding is None else output_padding, n)
    out = full
    for axis in range(n):
        m, st, e = sizes[axis], s[axis], eff[axis]
        if output_padding is None:
            length = (m - 1) * st + max(e, st) if padding == "valid" else m * st
        else:
            length = (m - 1) * st + (e if padding == "valid" else e % 2) + extra[axis]
        start = 0 if padding == "valid" else max((m - 1) * st + e - length, 0) // 2
        widths = [(0, 0)] * out.ndim
        widths[axis + 1] = (0, max(start + length - out.shape[axis + 1], 0))
        out = np.pad(out, widths)
        out = np.take(out, np.arange(start, start + length), axis=axis + 1)
    return out


def _cases():
    cases = []
    # label, input shape, depthwise kernel, strides, padding, dilation
    for label, xs, ks, st, pad, dil in [
        ("2d_valid", (2, 6, 5, 3), (3, 3, 3, 1), 1, "valid", 1),
        ("2d_same_stride2_dm2", (2, 7, 6, 2), (3, 3, 2, 2), 2, "same", 1),
        ("1d_dilated", (2, 9, 3), (3, 3, 2), 1, "same", 2),
    ]:
        cases.append(
            case(
                "depthwise_conv",
                lambda x, k, st=st, pad=pad, dil=dil: ops.depthwise_conv(x, k, st, pad, None, dil),
                lambda x, k, st=st, pad=pad, dil=dil: depthwise_ref(x, k, st, pad, dil),
                f32(*xs),
                f32(*ks),
                label=label,
                atol=1e-4,
                fed=(True, False),
            )
        )
    for label, xs, ks, ps, st, pad in [
        ("2d_same", (2, 6, 5, 3), (3, 3, 3, 2), (1, 1, 6, 4), 1, "same"),
        ("1d_valid_stride2", (2, 9, 2), (3, 2, 1), (1, 2, 3), 2, "valid"),
    ]:
        cases.append(
            case(
                "separable_conv",
                lambda x, k, p, st=st, pad=pad: ops.separable_conv(x, k, p, st, pad),
                lambda x, k, p, st=st, pad=pad: ref.conv(depthwise_ref(x, k, st, pad), p),
                f32(*xs),
                f32(*ks),
                f32(*ps),
                label=label,
                atol=1e-4,
                fed=(True, False, False),
            )
        )
    # label, input shape, kernel (k..., out, in), strides, padding, output_padding, dilation
    for label, xs, ks, st, pad, op, dil in [
        ("2d_valid", (2, 4, 5, 3), (3, 3, 2, 3), 1, "valid", None, 1),
        ("2d_same_stride2", (2, 4, 5, 3), (3, 3, 4, 3), 2, "same", None, 1),
        ("2d_valid_stride3_small_kernel", (2, 3, 4, 2), (2, 2, 3, 2), 3, "valid", None, 1),
        ("2d_same_output_padding", (2, 3, 4, 2), (3, 4, 2, 2), (2, 3), "same", (1, 2), 1),
        ("2d_valid_output_padding", (2, 3, 3, 2), (3, 3, 2, 2), 2, "valid", 1, 1),
        ("1d_same_dilated", (2, 6, 3), (3, 2, 3), 1, "same", None, 2),
        ("1d_same_k1_padding_past_stride", (2, 5, 3), (1, 2, 3), 1, "same", 1, 1),
        ("3d_same_stride2", (1, 2, 3, 2, 2), (2, 3, 2, 3, 2), 2, "same", None, 1),
    ]:
        cases.append(
            case(
                "conv_transpose",
                lambda x, k, st=st, pad=pad, op=op, dil=dil: ops.conv_transpose(
                    x, k, st, pad, op, None, dil
                ),
                lambda x, k, st=st, pad=pad, op=op, dil=dil: transpose_ref(x, k, st, pad, op, dil),
                f32(*xs),
                f32(*ks),
                label=label,
                atol=1e-4,
                fed=(True, False),
            )
        )
    cases.append(
        case(
            "conv_transpose",
            lambda x, k: ops.conv_transpose(x, k, 2, "same"),
            lambda x, k: transpose_ref(x, k, 2, "same"),
            f32(3, 4, 4, 2),
            f32(3, 3, 3, 2),
            label="2d_dyn",
            atol=1e-4,
            dynamic=True,
        )
    )
    return cases


CASES = _cases()


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.depthwise_conv(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 1))), "channels"),
        (lambda: ops.conv_transpose(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4))), "channels"),
        (lambda: ops.conv_transpose(np.zeros((1, 5, 3)), np.zeros((3, 3, 2, 3))), "rank"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
