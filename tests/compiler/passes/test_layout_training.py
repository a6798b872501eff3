"""The training step runs the layout passes on the forward graph before autodiff: the gradients of
the channels-first graph (renumbered Softmax/Concat/Reduce axes included) must give the same SGD
step as a float64 reference and as the step compiled without layout passes."""

import numpy as np
import onnx_ir.passes.common as common
import pytest

import kgraph as keras
from kgraph import layers
from kgraph.compiler import step, training
from tests.compiler.passes.test_layout_models import CASES, inputs_for

RNG = np.random.default_rng(5)
LR = 0.1


def _silu_pool_dense():
    inputs = keras.Input((6, 6, 2))
    x = layers.Conv2D(3, 3, activation="silu")(inputs)
    x = layers.Flatten()(layers.MaxPooling2D()(x))
    return keras.Model(inputs, layers.Dense(2)(x))


def _forward64(weights, x):
    """``_silu_pool_dense`` in float64 numpy (channels-last, as the layers define it)."""
    kernel, bias, dense, dense_bias = weights
    n, size = x.shape[0], x.shape[1] - 2
    z = np.zeros((n, size, size, kernel.shape[-1])) + bias
    for i in range(3):
        for j in range(3):
            z += np.einsum("nhwc,co->nhwo", x[:, i : i + size, j : j + size], kernel[i, j])
    z = z / (1.0 + np.exp(-z))
    pooled = z.reshape(n, size // 2, 2, size // 2, 2, -1).max(axis=(2, 4))
    return pooled.reshape(n, -1) @ dense + dense_bias


def _sgd_step64(weights, x, y, eps=1e-6):
    """One SGD step on the mean squared error, gradients by central differences."""
    loss = lambda w: np.mean((_forward64(w, x) - y) ** 2)
    stepped = []
    for k, w in enumerate(weights):
        grad = np.zeros_like(w)
        for index in np.ndindex(w.shape):
            for sign in (1, -1):
                moved = [v.copy() for v in weights]
                moved[k][index] += sign * eps
                grad[index] += sign * loss(moved) / (2 * eps)
        stepped.append(w - LR * grad)
    return loss(weights), stepped


def _fit_one_step(model, x, y):
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    history = model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    return history.history["loss"][0], model.get_weights()


def test_one_sgd_step_matches_float64_finite_differences():
    model = _silu_pool_dense()
    weights = [w.astype(np.float64) for w in model.get_weights()]
    assert [w.shape for w in weights] == [(3, 3, 2, 3), (3,), (12, 2), (2,)]
    x = RNG.standard_normal((4, 6, 6, 2)).astype(np.float32)
    y = RNG.standard_normal((4, 2)).astype(np.float32)
    expected_loss, expected = _sgd_step64(weights, x.astype(np.float64), y.astype(np.float64))
    loss, got = _fit_one_step(model, x, y)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_loss_decreases_over_a_few_steps():
    model = _silu_pool_dense()
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    x = RNG.standard_normal((16, 6, 6, 2)).astype(np.float32)
    y = RNG.standard_normal((16, 2)).astype(np.float32)
    losses = model.fit(x, y, batch_size=16, epochs=5, shuffle=False, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("seed_cnn", "conv_stack")])
def test_sgd_step_matches_the_step_without_layout_passes(name, monkeypatch):
    build = CASES[name][0]
    model, plain = build(), build()
    plain.set_weights(model.get_weights())
    xs = inputs_for(model, 4, seed=1)
    x = xs if len(xs) > 1 else xs[0]
    y = RNG.standard_normal((4, *model.outputs[0].shape[1:])).astype(np.float32)
    loss, got = _fit_one_step(model, x, y)
    no_layout = lambda: [common.TopologicalSortPass()]  # a pass manager needs one pass
    monkeypatch.setattr(step, "forward_layout_passes", no_layout)
    monkeypatch.setattr(training, "layout_passes", no_layout)
    expected_loss, expected = _fit_one_step(plain, x, y)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-5)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
