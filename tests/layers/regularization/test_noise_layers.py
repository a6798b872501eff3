"""SpatialDropout, GaussianNoise, GaussianDropout, AlphaDropout and ActivityRegularization:
identity at inference, and the right statistics in traced training graphs."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test, training_graph_outputs

CASES = [
    (layers.SpatialDropout1D, dict(rate=0.5, seed=1), (2, 3, 4)),
    (layers.SpatialDropout2D, dict(rate=0.5, seed=1), (2, 3, 4, 2)),
    (
        layers.SpatialDropout3D,
        dict(rate=0.5, seed=1, data_format="channels_first"),
        (1, 2, 3, 2, 2),
    ),
    (layers.GaussianNoise, dict(stddev=0.3, seed=1), (2, 3)),
    (layers.GaussianDropout, dict(rate=0.3, seed=1), (2, 3)),
    (layers.AlphaDropout, dict(rate=0.2, seed=1), (2, 3)),
    (layers.ActivityRegularization, dict(l1=0.1, l2=0.2), (2, 3)),
]


@pytest.mark.parametrize("cls, kwargs, shape", CASES, ids=[c[0].__name__ for c in CASES])
def test_identity_at_inference(cls, kwargs, shape):
    run_layer_test(cls, kwargs, shape, shape, lambda x, w: x)


def _train(layer, x):
    inputs = kgraph.Input(x.shape[1:])
    (y,) = training_graph_outputs(kgraph.Model(inputs, layer(inputs)), [x])
    return y


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((8, 5, 6, 20), np.float32)
    y = _train(layers.SpatialDropout2D(0.5, seed=3), x)
    per_map = y.reshape(8, 30, 20)
    assert (per_map == per_map[:, :1]).all()  # one draw per sample and channel
    np.testing.assert_allclose(np.unique(y), [0.0, 2.0])
    assert 0.3 < (y == 0).mean() < 0.7


def test_spatial_dropout1d_shares_the_mask_over_steps():
    y = _train(layers.SpatialDropout1D(0.5, seed=2), np.ones((8, 7, 16), np.float32))
    assert (y == y[:, :1]).all()


def test_gaussian_noise_statistics():
    x = np.full((50, 400), 2.0, np.float32)
    y = _train(layers.GaussianNoise(0.5, seed=4), x)
    noise = y - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01


def test_gaussian_dropout_statistics():
    x = np.full((50, 400), 2.0, np.float32)
    y = _train(layers.GaussianDropout(0.2, seed=5), x)
    factor = y / 2.0
    assert abs(factor.mean() - 1.0) < 0.01 and abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.01


def test_alpha_dropout_keeps_selu_statistics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 400)).astype(np.float32)  # zero mean, unit variance
    y = _train(layers.AlphaDropout(0.2, seed=6), x)
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p**2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * 0.2, atol=1e-5)
    assert abs(dropped.mean() - 0.2) < 0.01


def test_activity_regularization_adds_its_penalty():
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    x = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    layer(x)
    expected = (0.1 * np.abs(x).sum() + 0.2 * (x * x).sum()) / 2
    np.testing.assert_allclose(float(np.sum(layer.losses)), expected, rtol=1e-5)
    assert "activity_regularizer" not in layer.get_config()


@pytest.mark.parametrize(
    "build",
    [
        lambda: layers.GaussianNoise(-1.0),
        lambda: layers.GaussianDropout(1.5),
        lambda: layers.AlphaDropout(1.5),
        lambda: layers.SpatialDropout2D(-0.5),
    ],
)
def test_bad_rates(build):
    with pytest.raises(ValueError):
        build()
