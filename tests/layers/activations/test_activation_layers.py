"""ReLU, LeakyReLU, ELU and Softmax layers."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import layers
from tests.harness import run_layer_test


def relu_reference(x, max_value=None, negative_slope=0.0, threshold=0.0):
    x = x.astype(np.float64)
    y = np.where(x > threshold, x, negative_slope * (x - threshold))
    return np.minimum(y, max_value) if max_value is not None else y


RELU_CASES = [
    {},
    dict(max_value=6.0),
    dict(max_value=0.5),
    dict(negative_slope=0.1),
    dict(threshold=0.5),
    dict(negative_slope=0.2, threshold=0.3),
    dict(max_value=1.0, negative_slope=0.1, threshold=0.2),
]


@pytest.mark.parametrize("kwargs", RELU_CASES, ids=lambda k: str(k) or "default")
def test_relu(kwargs):
    run_layer_test(
        layers.ReLU,
        kwargs,
        input_shape=(3, 8),
        expected_output_shape=(3, 8),
        reference=lambda x, w: relu_reference(x, **kwargs),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(max_value=-1.0),
        dict(negative_slope=-0.1),
        dict(threshold=-1.0),
        dict(negative_slope=None),
    ],
)
def test_relu_validation(kwargs):
    with pytest.raises(ValueError):
        layers.ReLU(**kwargs)


@pytest.mark.parametrize("slope", [0.3, 0.01])
def test_leaky_relu(slope):
    run_layer_test(
        layers.LeakyReLU,
        dict(negative_slope=slope),
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        reference=lambda x, w: np.where(x > 0, x, slope * x),
    )


def test_leaky_relu_default_and_alpha_alias():
    assert layers.LeakyReLU().negative_slope == 0.3
    with pytest.warns(UserWarning, match="alpha"):
        assert layers.LeakyReLU(alpha=0.2).negative_slope == 0.2
    with pytest.raises(ValueError, match="negative_slope"):
        layers.LeakyReLU(-0.5)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_elu(alpha):
    run_layer_test(
        layers.ELU,
        dict(alpha=alpha),
        input_shape=(2, 6),
        expected_output_shape=(2, 6),
        reference=lambda x, w: np.where(x > 0, x, alpha * (np.exp(x) - 1)),
    )


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), [2]])
def test_softmax(axis):
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    run_layer_test(
        layers.Softmax,
        dict(axis=axis),
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        reference=lambda x, w: _softmax(x.astype(np.float64), np_axis),
    )
