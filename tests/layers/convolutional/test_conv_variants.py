"""DepthwiseConv1D/2D, SeparableConv1D/2D, Conv1D/2D/3DTranspose and Conv1D 'causal' against
float64 numpy references (per-channel convolution, scatter-definition transposed convolution)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test
from tests.ops import opcheck as ref
from tests.ops.test_conv_ops import depthwise_ref, transpose_ref

TO_LAST, TO_FIRST = (0, 2, 3, 1), (0, 3, 1, 2)


@pytest.mark.parametrize(
    "cls, kwargs, shape, out",
    [
        (layers.DepthwiseConv2D, dict(kernel_size=3), (2, 5, 6, 3), (2, 3, 4, 3)),
        (
            layers.DepthwiseConv2D,
            dict(kernel_size=(3, 2), strides=2, padding="same", depth_multiplier=2),
            (2, 7, 6, 2),
            (2, 4, 3, 4),
        ),
        (
            layers.DepthwiseConv1D,
            dict(kernel_size=3, dilation_rate=2, padding="same", activation="relu"),
            (2, 9, 3),
            (2, 9, 3),
        ),
    ],
)
def test_depthwise_conv(cls, kwargs, shape, out):
    act = kwargs.get("activation")

    def reference(x, w):
        y = depthwise_ref(
            x, w[0], kwargs.get("strides", 1), kwargs.get("padding", "valid"),
            kwargs.get("dilation_rate", 1),
        ) + w[1]  # fmt: skip
        return np.maximum(y, 0) if act == "relu" else y

    result = run_layer_test(
        cls, kwargs, shape, out, reference, expected_num_trainable_weights=2, atol=1e-4
    )
    dm = kwargs.get("depth_multiplier", 1)
    assert [w.name for w in result.layer.weights] == ["kernel", "bias"]
    assert result.weights[0].shape[-2:] == (shape[-1], dm)


def test_depthwise_conv_channels_first():
    run_layer_test(
        layers.DepthwiseConv2D,
        dict(kernel_size=3, padding="same", data_format="channels_first", use_bias=False),
        (2, 3, 5, 4),
        (2, 3, 5, 4),
        lambda x, w: depthwise_ref(x.transpose(TO_LAST), w[0], 1, "same").transpose(TO_FIRST),
        expected_num_trainable_weights=1,
        atol=1e-4,
    )


@pytest.mark.parametrize(
    "cls, kwargs, shape, out",
    [
        (
            layers.SeparableConv2D,
            dict(filters=4, kernel_size=3, padding="same", depth_multiplier=2),
            (2, 5, 6, 3),
            (2, 5, 6, 4),
        ),
        (layers.SeparableConv1D, dict(filters=2, kernel_size=2, strides=2), (2, 9, 3), (2, 4, 2)),
    ],
)
def test_separable_conv(cls, kwargs, shape, out):
    def reference(x, w):
        depth = depthwise_ref(x, w[0], kwargs.get("strides", 1), kwargs.get("padding", "valid"))
        return ref.conv(depth, w[1]) + w[2]

    result = run_layer_test(
        cls, kwargs, shape, out, reference, expected_num_trainable_weights=3, atol=1e-4
    )
    names = [w.name for w in result.layer.weights]
    assert names == ["depthwise_kernel", "pointwise_kernel", "bias"]


@pytest.mark.parametrize(
    "cls, kwargs, shape, out",
    [
        (layers.Conv2DTranspose, dict(filters=3, kernel_size=3), (2, 4, 5, 2), (2, 6, 7, 3)),
        (
            layers.Conv2DTranspose,
            dict(filters=2, kernel_size=3, strides=2, padding="same"),
            (2, 3, 4, 3),
            (2, 6, 8, 2),
        ),
        (
            layers.Conv2DTranspose,
            dict(filters=2, kernel_size=(3, 2), strides=(2, 3), output_padding=1),
            (2, 3, 3, 2),
            (2, 8, 9, 2),
        ),
        (
            layers.Conv1DTranspose,
            dict(filters=2, kernel_size=3, dilation_rate=2, padding="same"),
            (2, 5, 3),
            (2, 5, 2),
        ),
        (
            layers.Conv3DTranspose,
            dict(filters=2, kernel_size=2, strides=2),
            (1, 2, 3, 2, 2),
            (1, 4, 6, 4, 2),
        ),
    ],
)
def test_conv_transpose(cls, kwargs, shape, out):
    def reference(x, w):
        return transpose_ref(
            x, w[0], kwargs.get("strides", 1), kwargs.get("padding", "valid"),
            kwargs.get("output_padding"), kwargs.get("dilation_rate", 1),
        ) + w[1]  # fmt: skip

    result = run_layer_test(
        cls, kwargs, shape, out, reference, expected_num_trainable_weights=2, atol=1e-4
    )
    ks = result.weights[0].shape
    assert ks[-2:] == (kwargs["filters"], shape[-1])  # Keras: (*kernel, filters, in)


def test_conv_transpose_channels_first():
    run_layer_test(
        layers.Conv2DTranspose,
        dict(filters=2, kernel_size=3, strides=2, data_format="channels_first"),
        (2, 3, 3, 4),
        (2, 2, 7, 9),
        lambda x, w: (transpose_ref(x.transpose(TO_LAST), w[0], 2) + w[1]).transpose(TO_FIRST),
        atol=1e-4,
    )


def test_conv1d_causal():
    def reference(x, w):
        padded = np.pad(x, [(0, 0), (4, 0), (0, 0)])  # (kernel - 1) * dilation on the left
        return ref.conv(padded, w[0], dilation_rate=2) + w[1]

    result = run_layer_test(
        layers.Conv1D,
        dict(filters=2, kernel_size=3, dilation_rate=2, padding="causal"),
        (2, 7, 3),
        (2, 7, 2),
        reference,
        atol=1e-4,
    )
    # output t depends on inputs up to t only
    x = result.inputs[0].copy()
    x[:, 5:] += 10.0
    np.testing.assert_allclose(
        result.model.predict(x, verbose=0)[:, :5], result.output[:, :5], rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.DepthwiseConv2D(3, strides=2, dilation_rate=2), "strides > 1"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
        (lambda: layers.SeparableConv2D(0, 3), "filters"),
        (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), "output_padding"),
        (lambda: layers.Conv2D(2, 3, padding="causal"), "padding"),
        (lambda: layers.Conv2DTranspose(2, 3, padding="full"), "padding"),
    ],
)
def test_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_depthwise_rejects_unknown_channels():
    with pytest.raises(ValueError, match="channel"):
        layers.DepthwiseConv2D(3)(kgraph.Input((5, 5, None)))
