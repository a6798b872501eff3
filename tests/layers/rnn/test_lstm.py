"""LSTM against a numpy loop with Keras' gate order i, f, c, o."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def numpy_lstm(x, w, return_sequences=False, return_c=False):
    kernel, recurrent = w[0], w[1]
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t].astype(np.float64) @ kernel + h @ recurrent
        if len(w) == 3:
            z = z + w[2]
        i, f, g, o = (z[:, k * units : (k + 1) * units] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    if return_c:
        return c
    return np.stack(outputs, 1) if return_sequences else h


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("use_bias", [True, False])
def test_lstm_matches_numpy(return_sequences, use_bias):
    run_layer_test(
        layers.LSTM,
        dict(units=3, return_sequences=return_sequences, use_bias=use_bias),
        input_shape=(2, 5, 2),
        expected_output_shape=(2, 5, 3) if return_sequences else (2, 3),
        reference=lambda x, w: numpy_lstm(x, w, return_sequences),
        expected_num_trainable_weights=3 if use_bias else 2,
    )


def test_weights_and_unit_forget_bias():
    layer = layers.LSTM(2, name="l")
    layer.build((None, 4, 3))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("kernel", (3, 8)),
        ("recurrent_kernel", (2, 8)),
        ("bias", (8,)),
    ]
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0, 1, 1, 0, 0, 0, 0])
    plain = layers.LSTM(2, unit_forget_bias=False)
    plain.build((None, 4, 3))
    np.testing.assert_array_equal(plain.get_weights()[2], np.zeros(8))


def test_return_state_gives_h_and_c():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    layer = layers.LSTM(3, return_state=True)
    layer.build(x.shape)
    layer.set_weights([rng.uniform(-1, 1, w.shape).astype(np.float32) for w in layer.weights])
    output, h, c = (np.asarray(v) for v in layer(x))
    w = layer.get_weights()
    np.testing.assert_allclose(output, h)
    np.testing.assert_allclose(h, numpy_lstm(x, w), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c, numpy_lstm(x, w, return_c=True), rtol=1e-5, atol=1e-5)


def test_fit_reduces_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4, 2)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None] * 0.3
    inputs = kgraph.Input((4, 2))
    model = kgraph.Model(inputs, layers.Dense(1)(layers.LSTM(4, dropout=0.1)(inputs)))
    model.compile(optimizer=kgraph.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


def test_encoder_states_initialise_a_decoder_in_a_functional_model():
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((2, 4, 2)).astype(np.float32)
    x2 = rng.standard_normal((2, 3, 2)).astype(np.float32)
    encoder, decoder = layers.LSTM(3, return_state=True), layers.LSTM(3)
    enc_in, dec_in = kgraph.Input((4, 2)), kgraph.Input((3, 2))
    _, h, c = encoder(enc_in)
    model = kgraph.Model([enc_in, dec_in], decoder(dec_in, initial_state=[h, c]))
    _, h, c = (np.asarray(v, np.float64) for v in encoder(x1))
    w = decoder.get_weights()
    u = 3
    for t in range(3):  # the decoder's loop in numpy, from the encoder's final states
        z = x2[:, t] @ w[0] + h @ w[1] + w[2]
        i, f, _, o = (1 / (1 + np.exp(-z[:, k * u : (k + 1) * u])) for k in range(4))
        c = f * c + i * np.tanh(z[:, 2 * u : 3 * u])
        h = o * np.tanh(c)
    np.testing.assert_allclose(model.predict([x1, x2], verbose=0), h, rtol=1e-5, atol=1e-5)
