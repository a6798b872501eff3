"""The Activation and Identity layers."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import layers
from tests.harness import run_layer_test

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "silu": lambda x: x / (1 + np.exp(-x)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_layer(name):
    run_layer_test(
        layers.Activation,
        dict(activation=name),
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        reference=lambda x, w: ACTIVATIONS[name](x.astype(np.float64)),
    )


def test_activation_unknown_name():
    with pytest.raises(ValueError, match="Unknown activation"):
        layers.Activation("nope")


def test_identity():
    run_layer_test(
        layers.Identity,
        {},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        reference=lambda x, w: x,
    )
