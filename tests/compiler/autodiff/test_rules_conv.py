"""Conv gradient rules (input, kernel, bias) against finite differences, both kernel recipes."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

from kgraph.compiler.autodiff.rules import conv

RNG = np.random.default_rng(5)

SPECS = {  # id: (x shape, w shape, attrs)
    "plain": ((2, 3, 6, 6), (4, 3, 3, 3), {}),
    "stride2_leftover": ((2, 2, 7, 7), (3, 2, 3, 3), {"strides": [2, 2]}),
    "pads_asymmetric": ((1, 2, 5, 6), (3, 2, 3, 2), {"pads": [1, 0, 2, 1]}),
    "same_upper_stride2": (
        (1, 2, 6, 7),
        (2, 2, 3, 3),
        {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
    ),
    "same_lower": ((1, 2, 5, 5), (2, 2, 2, 2), {"auto_pad": "SAME_LOWER"}),
    "valid": ((1, 2, 5, 5), (2, 2, 3, 3), {"auto_pad": "VALID", "strides": [2, 1]}),
    "dilation2": ((2, 2, 7, 7), (3, 2, 3, 3), {"dilations": [2, 2]}),
    "mixed": (
        (1, 2, 8, 7),
        (2, 2, 3, 2),
        {"strides": [2, 1], "dilations": [1, 2], "pads": [1, 0, 0, 1]},
    ),
    "groups2": ((2, 4, 5, 5), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    "depthwise_stride2": ((1, 3, 6, 6), (3, 1, 3, 3), {"group": 3, "strides": [2, 2]}),
    "depthwise_multiplier2": ((2, 3, 6, 6), (6, 1, 5, 5), {"group": 3, "pads": [2, 2, 2, 2]}),
    "pointwise_one_cell": ((3, 4, 1, 1), (5, 4, 1, 1), {}),  # squeeze-and-excitation
    "pointwise_wide": ((2, 6, 2, 2), (7, 6, 1, 1), {}),  # transposes + one GEMM
    "pointwise_many_cells": ((2, 2, 5, 4), (3, 2, 1, 1), {}),  # batched MatMul + sum
    "pointwise_1d": ((2, 3, 6), (4, 3, 1), {}),
    "pointwise_stride2": ((2, 3, 5, 5), (4, 3, 1, 1), {"strides": [2, 2]}),
    "conv1d": ((2, 3, 9), (4, 3, 3), {"strides": [2], "pads": [1, 2]}),
    "conv1d_groups_dilation": ((1, 4, 10), (2, 2, 3), {"group": 2, "dilations": [3]}),
    "conv3d": ((1, 2, 4, 4, 3), (2, 2, 2, 2, 2), {"strides": [2, 1, 1], "pads": [0, 1, 0] * 2}),
}


@pytest.mark.parametrize("recipe", ["conv", "im2col"])
@pytest.mark.parametrize("spec", SPECS)
def test_conv(spec, recipe, monkeypatch):
    monkeypatch.setattr(conv, "WEIGHT_GRAD_RECIPE", recipe)
    xs, ws, attrs = SPECS[spec]
    inputs = [RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])]
    check_vjp("Conv", inputs, attrs, wrt=[0, 1, 2], eps=1e-2)


@pytest.mark.parametrize("recipe", ["conv", "im2col"])
def test_conv_symbolic_batch_without_bias(recipe, monkeypatch):
    monkeypatch.setattr(conv, "WEIGHT_GRAD_RECIPE", recipe)
    inputs = [RNG.standard_normal((3, 4, 5, 5)), RNG.standard_normal((4, 2, 3, 3))]
    check_vjp("Conv", inputs, {"group": 2, "strides": [2, 2]}, wrt=[0, 1], eps=1e-2, batch=[0])


def test_conv_kernel_only():
    inputs = [RNG.standard_normal((2, 3, 5, 5)), RNG.standard_normal((2, 3, 3, 3))]
    result = check_vjp("Conv", inputs, {}, wrt=[1], eps=1e-2)
    assert not any(node.op_type == "ConvTranspose" for node in result.graph)


def test_depthwise_kernel_gradient_is_one_grouped_conv():
    """``auto`` takes the conv recipe for depthwise layers: no im2col MatMul in the graph."""
    inputs = [RNG.standard_normal((2, 4, 6, 6)), RNG.standard_normal((4, 1, 3, 3))]
    result = check_vjp("Conv", inputs, {"group": 4, "pads": [1, 1, 1, 1]}, wrt=[0, 1], eps=1e-2)
    assert not any(node.op_type == "MatMul" for node in result.graph)


def test_pointwise_kernel_gradient_unfolds_nothing():
    """A 1x1 convolution's kernel gradient reads the input as it is: no patches Conv."""
    inputs = [RNG.standard_normal((2, 6, 2, 2)), RNG.standard_normal((7, 6, 1, 1))]
    result = check_vjp("Conv", inputs, {}, wrt=[0, 1], eps=1e-2)
    assert sum(node.op_type == "Conv" for node in result.graph) == 1  # the forward one


@pytest.mark.parametrize("batch", [None, [0]])
def test_im2col_in_channel_chunks(batch, monkeypatch):
    """Patches over the chunk limit are unfolded a run of input channels at a time (here
    2 + 2 + 1 of 5 channels); the kernel and bias gradients are unchanged."""
    monkeypatch.setattr(conv, "WEIGHT_GRAD_RECIPE", "im2col")
    xs, ws = (2, 5, 4, 4), (3, 5, 3, 3)
    per_channel = (9 + 1) * 16 * 4 * (2 if batch is None else 64)  # float32 patches + bias row
    monkeypatch.setattr(conv, "IM2COL_CHUNK_BYTES", 2 * per_channel)
    inputs = [RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])]
    attrs = {"pads": [1, 1, 1, 1]}
    result = check_vjp("Conv", inputs, attrs, wrt=[0, 1, 2], eps=1e-2, batch=batch, dtype="float32")
    assert sum(node.op_type == "MatMul" for node in result.graph) == 3


SYMBOLIC_LENGTH_SPECS = {  # a Conv1D/2D over Input(shape=(None, ...)): sizes unknown
    "conv1d_same_stride1": ((2, 3, 9), (4, 3, 5), {"auto_pad": "SAME_UPPER"}, [2]),
    "conv1d_valid_stride2_leftover": ((2, 3, 10), (4, 3, 3), {"strides": [2]}, [2]),
    "conv1d_pads_dilation": ((1, 2, 8), (3, 2, 3), {"pads": [2, 1], "dilations": [2]}, [2]),
    "conv1d_grouped_stride3": ((2, 4, 11), (6, 2, 3), {"group": 2, "strides": [3]}, [2]),
    "conv1d_pointwise": ((2, 3, 7), (5, 3, 1), {}, [2]),
    "conv2d_one_free_axis": ((1, 2, 5, 6), (3, 2, 3, 3), {"pads": [1, 1, 1, 1]}, [3]),
    "conv2d_two_free_axes": ((1, 2, 5, 7), (2, 2, 2, 3), {"strides": [2, 2]}, [2, 3]),
}


@pytest.mark.parametrize("spec", SYMBOLIC_LENGTH_SPECS)
def test_conv_symbolic_spatial_sizes(spec):
    """Input, kernel and bias gradients when the lengths are symbolic (and the batch too)."""
    xs, ws, attrs, free = SYMBOLIC_LENGTH_SPECS[spec]
    inputs = [RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])]
    check_vjp("Conv", inputs, attrs, wrt=[0, 1, 2], eps=1e-2, batch=[0], free_axes={0: free})


SAME_STRIDED_SPECS = {  # 'same' pads at a stride above 1 depend on the run-time size
    "conv1d_upper_odd": ((2, 3, 9), (4, 3, 3), {"auto_pad": "SAME_UPPER", "strides": [2]}, [2]),
    "conv1d_lower_stride3": ((2, 3, 8), (4, 3, 4), {"auto_pad": "SAME_LOWER", "strides": [3]}, [2]),
    "conv1d_no_pad_leftover": (
        (1, 2, 9),
        (2, 2, 1),
        {"auto_pad": "SAME_UPPER", "strides": [2]},
        [2],
    ),
    "conv2d_upper": (
        (1, 2, 7, 6),
        (3, 2, 3, 3),
        {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
        [2, 3],
    ),
    "conv2d_one_free_axis": (
        (1, 2, 5, 6),
        (3, 2, 2, 3),
        {"auto_pad": "SAME_UPPER", "strides": [2, 3]},
        [3],
    ),
    "depthwise": (
        (1, 3, 7, 6),
        (3, 1, 3, 3),
        {"auto_pad": "SAME_UPPER", "strides": [2, 2], "group": 3},
        [2, 3],
    ),
    "depthwise_multiplier2": (
        (2, 3, 7, 6),
        (6, 1, 3, 3),
        {"auto_pad": "SAME_UPPER", "strides": [2, 2], "group": 3},
        [2, 3],
    ),
    "groups2_lower": (
        (2, 4, 7, 6),
        (6, 2, 3, 3),
        {"auto_pad": "SAME_LOWER", "strides": [2, 2], "group": 2},
        [2, 3],
    ),
}


@pytest.mark.parametrize("spec", SAME_STRIDED_SPECS)
def test_conv_symbolic_size_same_padding_strided(spec):
    """The pads are computed from ``Shape`` at run time: a full ConvTranspose cropped by
    them, and the kernel gradient over the explicitly padded input."""
    xs, ws, attrs, free = SAME_STRIDED_SPECS[spec]
    inputs = [RNG.standard_normal(xs), RNG.standard_normal(ws), RNG.standard_normal(ws[0])]
    check_vjp("Conv", inputs, attrs, wrt=[0, 1, 2], eps=1e-2, batch=[0], free_axes={0: free})


def test_conv_static_same_padding_strided_has_no_runtime_pads():
    """With static sizes the pads stay attributes: no Shape/Pad in the backward graph."""
    inputs = [RNG.standard_normal((1, 2, 7, 6)), RNG.standard_normal((3, 2, 3, 3))]
    attrs = {"auto_pad": "SAME_UPPER", "strides": [2, 2]}
    result = check_vjp("Conv", inputs, attrs, wrt=[0, 1], eps=1e-2)
    assert not any(node.op_type in ("Shape", "Pad") for node in result.graph)
