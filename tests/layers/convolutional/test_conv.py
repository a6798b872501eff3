"""Conv1D/2D/3D against a direct float64 convolution (TF 'same' padding, groups, dilation)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test, tf_pad, windows

CONV = {1: layers.Conv1D, 2: layers.Conv2D, 3: layers.Conv3D}


def conv_reference(x, kernel, bias, strides, padding, dilation, groups, activation=None):
    """Direct N-D convolution of channels_last ``x`` with a Keras-layout kernel, in float64."""
    window = kernel.shape[:-2]
    x = tf_pad(np.asarray(x, np.float64), window, strides, dilation, padding)
    cin, cout = kernel.shape[-2], kernel.shape[-1] // groups
    out = 0.0
    for offset, view in windows(x, window, strides, dilation):
        k = kernel[offset].astype(np.float64)
        out = out + np.concatenate(
            [
                view[..., g * cin : (g + 1) * cin] @ k[:, g * cout : (g + 1) * cout]
                for g in range(groups)
            ],
            axis=-1,
        )
    if bias is not None:
        out = out + bias
    if activation == "relu":
        out = np.maximum(out, 0.0)
    return out


def _expected_spatial(n, k, s, d, padding):
    return -(-n // s) if padding == "same" else (n - (k - 1) * d - 1) // s + 1


# (rank, spatial, channels, filters, kernel, strides, padding, dilation, groups)
CASES = [
    (1, (9,), 3, 4, 3, 1, "valid", 1, 1),
    (1, (9,), 3, 4, 3, 2, "same", 1, 1),
    (1, (8,), 2, 2, 4, 3, "same", 1, 1),
    (1, (10,), 3, 2, 3, 1, "same", 2, 1),
    (1, (7,), 4, 6, 2, 1, "valid", 1, 2),
    (2, (6, 7), 3, 4, 3, 1, "valid", 1, 1),
    (2, (6, 7), 3, 4, 3, 1, "same", 1, 1),
    (2, (7, 6), 2, 3, (3, 2), (2, 1), "same", 1, 1),
    (2, (8, 8), 2, 3, 2, 2, "same", 1, 1),
    (2, (6, 5), 3, 2, (1, 3), (3, 2), "valid", 1, 1),
    (2, (9, 8), 2, 2, 3, 1, "valid", (2, 3), 1),
    (2, (7, 7), 2, 2, 3, 1, "same", 2, 1),
    (2, (6, 6), 4, 6, 3, 1, "same", 1, 2),
    (2, (6, 6), 4, 8, 3, 2, "valid", 1, 4),  # depthwise-like: one input channel per group
    (3, (4, 5, 4), 2, 3, 2, 1, "valid", 1, 1),
    (3, (5, 4, 5), 2, 2, (3, 2, 2), (2, 1, 2), "same", 1, 1),
    (3, (5, 5, 5), 4, 4, 2, 1, "same", 2, 2),
]


def _ids(case):
    rank, spatial, cin, f, k, s, p, d, g = case
    return f"{rank}d-in{spatial}x{cin}-f{f}-k{k}-s{s}-{p}-d{d}-g{g}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_conv_against_reference(case):
    rank, spatial, cin, filters, kernel, strides, padding, dilation, groups = case
    tup = lambda v: (v,) * rank if isinstance(v, int) else tuple(v)
    out_spatial = tuple(
        _expected_spatial(n, k, s, d, padding)
        for n, k, s, d in zip(spatial, tup(kernel), tup(strides), tup(dilation))
    )
    result = run_layer_test(
        CONV[rank],
        dict(
            filters=filters,
            kernel_size=kernel,
            strides=strides,
            padding=padding,
            dilation_rate=dilation,
            groups=groups,
        ),
        input_shape=(2, *spatial, cin),
        expected_output_shape=(2, *out_spatial, filters),
        reference=lambda x, w: conv_reference(
            x, w[0], w[1], tup(strides), padding, tup(dilation), groups
        ),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
    )
    assert result.weights[0].shape == (*tup(kernel), cin // groups, filters)


def test_conv_activation_no_bias():
    run_layer_test(
        layers.Conv2D,
        dict(filters=3, kernel_size=2, activation="relu", use_bias=False),
        input_shape=(2, 5, 5, 2),
        expected_output_shape=(2, 4, 4, 3),
        reference=lambda x, w: conv_reference(x, w[0], None, (1, 1), "valid", (1, 1), 1, "relu"),
        expected_num_trainable_weights=1,
    )


def test_conv_channels_first():
    to_last, to_first = (0, 2, 3, 1), (0, 3, 1, 2)
    run_layer_test(
        layers.Conv2D,
        dict(filters=3, kernel_size=3, padding="same", data_format="channels_first"),
        input_shape=(2, 2, 5, 6),
        expected_output_shape=(2, 3, 5, 6),
        reference=lambda x, w: conv_reference(
            np.transpose(x, to_last), w[0], w[1], (1, 1), "same", (1, 1), 1
        ).transpose(to_first),
    )


def test_conv_dynamic_spatial_same_padding():
    """Unknown spatial dims take ONNX auto_pad SAME_UPPER: the extra pad is still at the end."""
    x = np.random.default_rng(1).standard_normal((2, 7, 6, 2)).astype("float32")
    run_layer_test(
        layers.Conv2D,
        dict(filters=2, kernel_size=2, strides=2, padding="same"),
        input_shape=(2, None, None, 2),
        expected_output_shape=(2, None, None, 2),
        input_data=x,
        reference=lambda x, w: conv_reference(x, w[0], w[1], (2, 2), "same", (1, 1), 1),
    )


def test_conv_config_matches_keras_keys():
    config = layers.Conv2D(4, 3).get_config()
    for key in (
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "groups",
        "activation",
        "use_bias",
        "kernel_initializer",
        "bias_initializer",
    ):
        assert key in config
    assert config["kernel_size"] == (3, 3) and config["strides"] == (1, 1)
    assert config["data_format"] == "channels_last" and config["padding"] == "valid"


def test_conv_weight_names():
    layer = layers.Conv1D(2, 3, name="c1")
    layer.build((None, 5, 4))
    assert [w.path for w in layer.weights] == ["c1/kernel", "c1/bias"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(filters=0, kernel_size=3), "filters"),
        (dict(filters=-2, kernel_size=3), "filters"),
        (dict(filters=3, kernel_size=3, groups=2), "divisible"),
        (dict(filters=4, kernel_size=3, groups=0), "groups"),
        (dict(filters=4, kernel_size=3, strides=2, dilation_rate=2), "dilation_rate"),
        (dict(filters=4, kernel_size=3, padding="causal"), "padding"),
        (dict(filters=4, kernel_size=3, padding="full"), "padding"),
        (dict(filters=4, kernel_size=(3, 3, 3)), "kernel_size"),
        (dict(filters=4, kernel_size=0), "kernel_size"),
        (dict(filters=4, kernel_size=3, strides=0), "strides"),
        (dict(filters=4, kernel_size=3, data_format="nhwc"), "data_format"),
    ],
)
def test_conv_init_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Conv2D(**kwargs)


def test_conv_input_channels_not_divisible_by_groups():
    with pytest.raises(ValueError, match=r"conv2d.*groups=2.*3 channels"):
        layers.Conv2D(4, 3, groups=2, name="conv2d_g")(kgraph.Input((6, 6, 3)))


def test_conv_window_larger_than_input():
    with pytest.raises(ValueError, match="non-positive"):
        layers.Conv2D(4, 5)(kgraph.Input((3, 3, 1)))


def test_conv_wrong_rank():
    with pytest.raises(ValueError, match="ndim=4"):
        layers.Conv2D(4, 3)(kgraph.Input((6, 6)))


def test_built_conv_on_incompatible_shape_names_layer_and_shapes():
    layer = layers.Conv2D(4, 3, name="my_conv")
    layer(kgraph.Input((8, 8, 3)))
    with pytest.raises(ValueError) as info:
        layer(kgraph.Input((8, 8, 5)))
    message = str(info.value)
    assert "my_conv" in message
    assert "(None, 8, 8, 3)" in message and "(None, 8, 8, 5)" in message


def test_aliases():
    assert layers.Convolution2D is layers.Conv2D and layers.Convolution1D is layers.Conv1D
