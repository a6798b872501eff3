"""SimpleRNN against a numpy loop; shared BaseRNN behaviour (states, go_backwards, dropout,
static time length, training) is checked here once."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test


def numpy_simple_rnn(x, w, return_sequences=False, go_backwards=False, use_bias=True):
    kernel, recurrent = w[0], w[1]
    h = np.zeros((x.shape[0], kernel.shape[1]))
    steps = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    outputs = []
    for t in steps:
        z = x[:, t].astype(np.float64) @ kernel + h @ recurrent
        h = np.tanh(z + w[2] if use_bias else z)
        outputs.append(h)
    return np.stack(outputs, 1) if return_sequences else h


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_simple_rnn_matches_numpy(return_sequences, go_backwards):
    run_layer_test(
        layers.SimpleRNN,
        dict(units=3, return_sequences=return_sequences, go_backwards=go_backwards),
        input_shape=(2, 5, 2),
        expected_output_shape=(2, 5, 3) if return_sequences else (2, 3),
        reference=lambda x, w: numpy_simple_rnn(x, w, return_sequences, go_backwards),
        expected_num_trainable_weights=3,
    )


def test_simple_rnn_without_bias():
    run_layer_test(
        layers.SimpleRNN,
        dict(units=2, use_bias=False),
        input_shape=(3, 4, 2),
        expected_output_shape=(3, 2),
        reference=lambda x, w: numpy_simple_rnn(x, w, use_bias=False),
        expected_num_trainable_weights=2,
    )


def test_weight_names_and_shapes():
    layer = layers.SimpleRNN(4, name="r")
    layer.build((None, 6, 3))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("kernel", (3, 4)),
        ("recurrent_kernel", (4, 4)),
        ("bias", (4,)),
    ]


def test_return_state_and_initial_state():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 2)).astype(np.float32)
    h0 = rng.standard_normal((2, 3)).astype(np.float32)
    layer = layers.SimpleRNN(3, return_state=True)
    output, state = layer(x)
    np.testing.assert_allclose(np.asarray(output), np.asarray(state))
    w = layer.get_weights()
    got = np.asarray(layer(x, initial_state=[h0])[0])
    h = h0.astype(np.float64)
    for t in range(3):
        h = np.tanh(x[:, t] @ w[0] + h @ w[1] + w[2])
    np.testing.assert_allclose(got, h, rtol=1e-5, atol=1e-5)


def test_dynamic_time_length_runs_any_length():
    inputs = kgraph.Input((None, 3))
    layer = layers.SimpleRNN(2, return_sequences=True)
    model = kgraph.Model(inputs, layer(inputs))
    assert tuple(model.outputs[0].shape) == (None, None, 2)
    rng = np.random.default_rng(3)
    for steps in (2, 6):
        x = rng.standard_normal((3, steps, 3)).astype(np.float32)
        expected = numpy_simple_rnn(x, layer.get_weights(), return_sequences=True)
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_dropout_only_in_training():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5, 3)).astype(np.float32)
    layer = layers.SimpleRNN(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    inference = np.asarray(layer(x))
    np.testing.assert_allclose(inference, numpy_simple_rnn(x, layer.get_weights()), atol=1e-5)
    assert not np.allclose(np.asarray(layer(x, training=True)), inference)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(units=0), "units"),
        (dict(units=2, stateful=True), "stateful"),
    ],
)
def test_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.SimpleRNN(**kwargs)


def test_fit_reduces_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4, 2)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None] * 0.3
    inputs = kgraph.Input((4, 2))
    hidden = layers.SimpleRNN(4, return_sequences=True)(inputs)
    model = kgraph.Model(inputs, layers.Dense(1)(layers.SimpleRNN(4)(hidden)))
    model.compile(optimizer=kgraph.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


def test_dropout_rates_are_clipped_into_zero_one():
    """Keras clips recurrent dropout rates instead of refusing them."""
    layer = layers.SimpleRNN(2, dropout=1.5, recurrent_dropout=-0.1)
    assert (layer.cell.dropout, layer.cell.recurrent_dropout) == (1.0, 0.0)
