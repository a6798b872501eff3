"""Dense on inputs of rank 2, 3 and 4 (it acts on the last axis)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test


@pytest.mark.parametrize("shape", [(3, 5), (2, 3, 5), (2, 2, 3, 5)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_last_axis(shape, use_bias):
    def reference(x, w):
        y = x.astype(np.float64) @ w[0]
        return y + w[1] if use_bias else y

    run_layer_test(
        layers.Dense,
        dict(units=4, use_bias=use_bias),
        input_shape=shape,
        expected_output_shape=(*shape[:-1], 4),
        reference=reference,
        expected_num_trainable_weights=2 if use_bias else 1,
    )


@pytest.mark.parametrize(
    "activation, fn",
    [
        ("relu", lambda y: np.maximum(y, 0)),
        ("sigmoid", lambda y: 1 / (1 + np.exp(-y))),
        ("tanh", np.tanh),
        ("softmax", lambda y: np.exp(y) / np.exp(y).sum(-1, keepdims=True)),
    ],
)
def test_dense_activation(activation, fn):
    run_layer_test(
        layers.Dense,
        dict(units=3, activation=activation),
        input_shape=(4, 2),
        expected_output_shape=(4, 3),
        reference=lambda x, w: fn(x.astype(np.float64) @ w[0] + w[1]),
    )


def test_dense_kernel_layout():
    layer = layers.Dense(7, name="d")
    layer.build((None, 3))
    assert [(w.path, w.shape) for w in layer.weights] == [("d/kernel", (3, 7)), ("d/bias", (7,))]


def test_dense_incompatible_input_names_layer_and_shapes():
    layer = layers.Dense(2, name="my_dense")
    layer(kgraph.Input((3,)))
    with pytest.raises(ValueError) as info:
        layer(kgraph.Input((4,)))
    message = str(info.value)
    assert "my_dense" in message and "(None, 3)" in message and "(None, 4)" in message


@pytest.mark.parametrize("units", [0, -1, 2.5])
def test_dense_units_validation(units):
    with pytest.raises(ValueError, match="units"):
        layers.Dense(units)
