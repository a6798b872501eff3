"""``SpectralNormalization``: the wrapped layer at inference, ``kernel / sigma`` (power method
from ``vector_u``) in training, and ``vector_u`` updated by ``fit``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test, training_graph_outputs


def _power_method(kernel, u, steps):
    w = kernel.reshape(-1, kernel.shape[-1]).astype(np.float64)
    for _ in range(steps):
        v = u @ w.T
        v = v / np.linalg.norm(v)
        u = v @ w
        u = u / np.linalg.norm(u)
    return u, (v @ w @ u.T).item()


def test_inference_runs_the_wrapped_layer():
    result = run_layer_test(
        layers.SpectralNormalization,
        dict(layer=layers.Dense(3)),
        (4, 5),
        (4, 3),
        lambda x, w: x @ w[0] + w[2],
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=1,
    )
    assert [w.name for w in result.layer.weights] == ["kernel", "vector_u", "bias"]


@pytest.mark.parametrize("steps", [1, 3])
def test_training_graph_divides_by_the_spectral_norm(steps):
    rng = np.random.default_rng(0)
    layer = layers.SpectralNormalization(layers.Dense(3), power_iterations=steps)
    inputs = kgraph.Input((5,))
    model = kgraph.Model(inputs, layer(inputs))
    kernel, u, bias = (rng.standard_normal(w.shape).astype(np.float32) for w in layer.weights)
    layer.set_weights([kernel, u, bias])
    x = rng.standard_normal((4, 5)).astype(np.float32)
    (y,) = training_graph_outputs(model, [x])
    _, sigma = _power_method(kernel, u.astype(np.float64), steps)
    np.testing.assert_allclose(y, x @ (kernel / sigma) + bias, rtol=1e-4, atol=1e-5)
    exact = np.linalg.svd(kernel, compute_uv=False)[0]
    if steps == 3:
        assert abs(sigma - exact) < 0.1 * exact  # the power method approaches it


def test_fit_updates_vector_u_and_learns():
    rng = np.random.default_rng(1)
    layer = layers.SpectralNormalization(layers.Dense(2), power_iterations=1)
    inputs = kgraph.Input((4,))
    model = kgraph.Model(inputs, layer(inputs))
    u0 = layer.vector_u.numpy()
    x, y = rng.standard_normal((32, 4)), rng.standard_normal((32, 2))
    model.compile(optimizer=kgraph.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    u = layer.vector_u.numpy()
    assert not np.allclose(u, u0)
    np.testing.assert_allclose(np.linalg.norm(u), 1.0, rtol=1e-5)  # a power-method estimate
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_requires_a_kernel():
    with pytest.raises(ValueError, match="kernel"):
        layers.SpectralNormalization(layers.Flatten())(kgraph.Input((3,)))
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
