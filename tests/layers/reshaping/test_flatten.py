"""Flatten: numpy's row-major order of channels_last data, so Dense weights match Keras."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test


@pytest.mark.parametrize("shape", [(2, 4, 3, 2), (2, 5, 3), (2, 6), (2, 2, 2, 2, 2)])
def test_flatten_is_row_major_reshape(shape):
    run_layer_test(
        layers.Flatten,
        {},
        input_shape=shape,
        expected_output_shape=(shape[0], int(np.prod(shape[1:]))),
        reference=lambda x, w: x.reshape(x.shape[0], -1),
    )


def test_flatten_rank1_adds_axis():
    run_layer_test(
        layers.Flatten,
        {},
        input_shape=(3,),
        expected_output_shape=(3, 1),
        reference=lambda x, w: x.reshape(-1, 1),
    )


def test_flatten_channels_first_moves_channels_last():
    run_layer_test(
        layers.Flatten,
        dict(data_format="channels_first"),
        input_shape=(2, 3, 4, 5),
        expected_output_shape=(2, 60),
        reference=lambda x, w: x.transpose(0, 2, 3, 1).reshape(2, -1),
    )


def test_flatten_unknown_dims():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    run_layer_test(
        layers.Flatten,
        {},
        input_shape=(2, None, 4),
        expected_output_shape=(2, None),
        input_data=x,
        reference=lambda x, w: x.reshape(2, -1),
    )


def test_flatten_then_dense_equals_numpy():
    """The usual CNN head: Dense after Flatten sees features in NHWC row-major order."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    inputs = kgraph.Input((3, 3, 4))
    dense = layers.Dense(5)
    model = kgraph.Model(inputs, dense(layers.Flatten()(inputs)))
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(
        model.predict(x, verbose=0), x.reshape(2, -1) @ kernel + bias, rtol=1e-5, atol=1e-5
    )
