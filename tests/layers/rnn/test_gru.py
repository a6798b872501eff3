"""GRU against a numpy loop (gates z, r, h), both reset_after conventions."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def numpy_gru(x, w, reset_after=True, return_sequences=False):
    kernel, recurrent = w[0].astype(np.float64), w[1].astype(np.float64)
    u = recurrent.shape[0]
    bias = w[2] if len(w) == 3 else np.zeros((2, 3 * u) if reset_after else (3 * u,))
    in_bias, rec_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * u))
    h = np.zeros((x.shape[0], u))
    outputs = []
    for t in range(x.shape[1]):
        xp = x[:, t] @ kernel + in_bias
        hp = h @ recurrent + rec_bias
        z = _sigmoid(xp[:, :u] + hp[:, :u])
        r = _sigmoid(xp[:, u : 2 * u] + hp[:, u : 2 * u])
        if reset_after:
            hh = np.tanh(xp[:, 2 * u :] + r * hp[:, 2 * u :])
        else:
            hh = np.tanh(xp[:, 2 * u :] + (r * h) @ recurrent[:, 2 * u :])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, 1) if return_sequences else h


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_gru_matches_numpy(reset_after, return_sequences):
    run_layer_test(
        layers.GRU,
        dict(units=3, reset_after=reset_after, return_sequences=return_sequences),
        input_shape=(2, 5, 2),
        expected_output_shape=(2, 5, 3) if return_sequences else (2, 3),
        reference=lambda x, w: numpy_gru(x, w, reset_after, return_sequences),
        expected_num_trainable_weights=3,
    )


def test_gru_without_bias():
    run_layer_test(
        layers.GRU,
        dict(units=2, use_bias=False),
        input_shape=(3, 4, 2),
        expected_output_shape=(3, 2),
        reference=lambda x, w: numpy_gru(x, w),
        expected_num_trainable_weights=2,
    )


@pytest.mark.parametrize("reset_after, bias_shape", [(True, (2, 12)), (False, (12,))])
def test_weight_shapes(reset_after, bias_shape):
    layer = layers.GRU(4, reset_after=reset_after, name="g")
    layer.build((None, 6, 3))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("kernel", (3, 12)),
        ("recurrent_kernel", (4, 12)),
        ("bias", bias_shape),
    ]


def test_fit_reduces_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4, 2)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None] * 0.3
    inputs = kgraph.Input((4, 2))
    rnn = layers.GRU(4, recurrent_dropout=0.1)
    model = kgraph.Model(inputs, layers.Dense(1)(rnn(inputs)))
    model.compile(optimizer=kgraph.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
