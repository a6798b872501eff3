"""Max/average pooling 1D/2D/3D and global pooling against numpy references."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test, tf_pad, windows

POOL = {
    ("max", 1): layers.MaxPooling1D,
    ("max", 2): layers.MaxPooling2D,
    ("max", 3): layers.MaxPooling3D,
    ("average", 1): layers.AveragePooling1D,
    ("average", 2): layers.AveragePooling2D,
    ("average", 3): layers.AveragePooling3D,
}
GLOBAL = {
    ("max", 1): layers.GlobalMaxPooling1D,
    ("max", 2): layers.GlobalMaxPooling2D,
    ("max", 3): layers.GlobalMaxPooling3D,
    ("average", 1): layers.GlobalAveragePooling1D,
    ("average", 2): layers.GlobalAveragePooling2D,
    ("average", 3): layers.GlobalAveragePooling3D,
}


def pool_reference(x, mode, window, strides, padding):
    """Pooling of channels_last ``x``; padded cells are NaN, so they never count."""
    rank = len(window)
    x = tf_pad(np.asarray(x, np.float64), window, strides, (1,) * rank, padding, value=np.nan)
    stacked = np.stack([v for _, v in windows(x, window, strides, (1,) * rank)])
    return np.nanmax(stacked, axis=0) if mode == "max" else np.nanmean(stacked, axis=0)


def _out(n, k, s, padding):
    return -(-n // s) if padding == "same" else (n - k) // s + 1


# (rank, spatial, pool_size, strides, padding)
CASES = [
    (1, (8,), 2, None, "valid"),
    (1, (9,), 3, 2, "valid"),
    (1, (7,), 2, None, "same"),
    (1, (8,), 3, 2, "same"),
    (2, (6, 6), 2, None, "valid"),
    (2, (7, 5), (3, 2), (2, 1), "valid"),
    (2, (5, 5), 2, None, "same"),
    (2, (7, 6), 3, 2, "same"),
    (2, (5, 7), (2, 3), (1, 2), "same"),
    (3, (4, 4, 4), 2, None, "valid"),
    (3, (5, 4, 3), (2, 2, 3), (1, 2, 2), "same"),
]


def _ids(case):
    rank, spatial, k, s, p = case
    return f"{rank}d-in{spatial}-k{k}-s{s}-{p}"


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_pooling_against_reference(mode, case):
    rank, spatial, pool_size, strides, padding = case
    tup = lambda v: (v,) * rank if isinstance(v, int) else tuple(v)
    window = tup(pool_size)
    steps = window if strides is None else tup(strides)
    out = tuple(_out(n, k, s, padding) for n, k, s in zip(spatial, window, steps))
    run_layer_test(
        POOL[mode, rank],
        dict(pool_size=pool_size, strides=strides, padding=padding),
        input_shape=(2, *spatial, 3),
        expected_output_shape=(2, *out, 3),
        reference=lambda x, w: pool_reference(x, mode, window, steps, padding),
        expected_num_trainable_weights=0,
    )


def test_average_same_padding_excludes_padded_cells():
    x = np.ones((1, 3, 3, 1), np.float32)
    y = kgraph.Sequential(
        [kgraph.Input((3, 3, 1)), layers.AveragePooling2D(2, padding="same")]
    ).predict(x, verbose=0)
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pooling_channels_first(mode):
    run_layer_test(
        POOL[mode, 2],
        dict(pool_size=2, padding="same", data_format="channels_first"),
        input_shape=(2, 3, 5, 4),
        expected_output_shape=(2, 3, 3, 2),
        reference=lambda x, w: pool_reference(
            x.transpose(0, 2, 3, 1), mode, (2, 2), (2, 2), "same"
        ).transpose(0, 3, 1, 2),
    )


def test_pooling_defaults_and_config():
    layer = layers.MaxPooling2D()
    config = layer.get_config()
    assert config["pool_size"] == (2, 2) and config["strides"] == (2, 2)
    assert config["padding"] == "valid" and config["data_format"] == "channels_last"
    assert layers.AveragePooling1D(3).get_config()["strides"] == (3,)
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool3D is layers.AveragePooling3D


@pytest.mark.parametrize(
    "kwargs", [dict(pool_size=0), dict(pool_size=(2, 2, 2)), dict(padding="full"), dict(strides=-1)]
)
def test_pooling_init_validation(kwargs):
    with pytest.raises(ValueError):
        layers.MaxPooling2D(**kwargs)


def test_pooling_window_too_large():
    with pytest.raises(ValueError, match="max_pooling2d_big"):
        layers.MaxPooling2D(4, name="max_pooling2d_big")(kgraph.Input((3, 3, 2)))


def test_pooling_wrong_rank():
    with pytest.raises(ValueError, match="ndim=3"):
        layers.MaxPooling1D()(kgraph.Input((4, 4, 2)))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_global_pooling(rank, mode, keepdims):
    spatial = (5, 4, 3)[:rank]
    axes = tuple(range(1, rank + 1))
    expected = (2, *(1,) * rank, 3) if keepdims else (2, 3)
    reduce = np.max if mode == "max" else np.mean
    run_layer_test(
        GLOBAL[mode, rank],
        dict(keepdims=keepdims),
        input_shape=(2, *spatial, 3),
        expected_output_shape=expected,
        reference=lambda x, w: reduce(x.astype(np.float64), axis=axes, keepdims=keepdims),
    )


def test_global_pooling_channels_first():
    run_layer_test(
        layers.GlobalAveragePooling2D,
        dict(data_format="channels_first"),
        input_shape=(2, 3, 4, 5),
        expected_output_shape=(2, 3),
        reference=lambda x, w: x.astype(np.float64).mean(axis=(2, 3)),
    )


@pytest.mark.parametrize(
    "cls, rank", [(layers.GlobalMaxPooling1D, 3), (layers.GlobalMaxPooling2D, 4)]
)
def test_global_max_pooling_is_one_reduce_max_node(tmp_path, cls, rank):
    """The exported graph holds a single ReduceMax (no NaN check, as MaxPool), with values
    equal to numpy's max over the spatial axes."""
    import onnx

    shape = (5, 4, 3)[: rank - 1]
    inputs = kgraph.Input(shape)
    model = kgraph.Model(inputs, cls()(inputs))
    x = np.random.default_rng(0).standard_normal((2, *shape)).astype(np.float32)
    axes = tuple(range(1, rank - 1))
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.max(axis=axes))
    model.export(str(tmp_path / "m.onnx"))
    nodes = [n.op_type for n in onnx.load(str(tmp_path / "m.onnx")).graph.node]
    assert nodes == ["ReduceMax"]
