"""The cells, RNN and StackedRNNCells against the numpy loops of the layer tests."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test
from tests.layers.rnn.test_gru import numpy_gru
from tests.layers.rnn.test_lstm import numpy_lstm
from tests.layers.rnn.test_simple_rnn import numpy_simple_rnn


@pytest.mark.parametrize(
    "make_cell, reference",
    [
        (lambda: layers.SimpleRNNCell(3), lambda x, w: numpy_simple_rnn(x, w, True)),
        (lambda: layers.LSTMCell(3), lambda x, w: numpy_lstm(x, w, True)),
        (lambda: layers.GRUCell(3), lambda x, w: numpy_gru(x, w, True, True)),
        (
            lambda: layers.GRUCell(3, reset_after=False),
            lambda x, w: numpy_gru(x, w, False, True),
        ),
    ],
)
def test_rnn_of_a_cell_matches_numpy(make_cell, reference):
    run_layer_test(
        layers.RNN,
        dict(cell=make_cell(), return_sequences=True),
        input_shape=(2, 4, 2),
        expected_output_shape=(2, 4, 3),
        reference=reference,
        expected_num_trainable_weights=3,
    )


def test_stacked_cells_feed_each_other():
    def reference(x, w):
        hidden = numpy_lstm(x, w[:3], return_sequences=True)
        return numpy_simple_rnn(hidden, w[3:])

    run_layer_test(
        layers.RNN,
        dict(cell=[layers.LSTMCell(3), layers.SimpleRNNCell(2)]),
        input_shape=(2, 4, 2),
        expected_output_shape=(2, 2),
        reference=reference,
        expected_num_trainable_weights=6,
    )


def test_cell_call_is_one_step():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    h, c = (rng.standard_normal((2, 4)).astype(np.float32) for _ in range(2))
    cell = layers.LSTMCell(4)
    output, (h1, c1) = cell(x, [h, c])
    k, r, b = cell.get_weights()
    z = x @ k + h @ r + b
    i, f, g, o = np.split(z, 4, axis=-1)
    sig = lambda v: 1 / (1 + np.exp(-v))
    want_c = sig(f) * c + sig(i) * np.tanh(g)
    np.testing.assert_allclose(np.asarray(c1), want_c, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(h1), sig(o) * np.tanh(want_c), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(output), np.asarray(h1))
    assert cell.state_size == [4, 4] and layers.GRUCell(2).state_size == 2


def test_rnn_states_and_initial_state_match_the_layer():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    wrapped = layers.RNN(layers.LSTMCell(2), return_state=True, go_backwards=True)
    layer = layers.LSTM(2, return_state=True, go_backwards=True)
    wrapped.build(x.shape)
    layer.build(x.shape)
    wrapped.set_weights(layer.get_weights())
    init = [rng.standard_normal((2, 2)).astype(np.float32) for _ in range(2)]
    for a, b in zip(wrapped(x, initial_state=init), layer(x, initial_state=init)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)


def test_rnn_rejects_what_it_cannot_run():
    with pytest.raises(ValueError, match="cell"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match="stateful"):
        layers.RNN(layers.GRUCell(2), stateful=True)
    with pytest.raises(ValueError, match="mask"):
        layers.RNN(layers.GRUCell(2))(np.zeros((1, 3, 2), "float32"), mask=np.ones((1, 3, 1)))


def test_fit_reduces_loss_with_dropout():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4, 2)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None] * 0.3
    inputs = kgraph.Input((4, 2))
    cells = [layers.GRUCell(4, dropout=0.1), layers.SimpleRNNCell(4, recurrent_dropout=0.1)]
    model = kgraph.Model(inputs, layers.Dense(1)(layers.RNN(cells)(inputs)))
    model.compile(optimizer=kgraph.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]


@kgraph.saving.register_keras_serializable(package="rnn_cells_test")
class RunningSumCell(layers.Layer):
    """A cell written to Keras' contract (no kgraph step methods): adds ``x @ kernel`` to its
    one state and outputs it."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs, states):
        h = states[0] + kgraph.ops.matmul(inputs, self.kernel)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_stacked_cells_mix_a_keras_contract_cell_with_kgraph_cells(tmp_path):
    x = np.random.default_rng(3).standard_normal((2, 4, 2)).astype(np.float32)
    inputs = kgraph.Input((4, 2))
    rnn = layers.RNN([RunningSumCell(3), layers.LSTMCell(2)], return_state=True)
    model = kgraph.Model(inputs, rnn(inputs))
    w = rnn.get_weights()
    sums = np.cumsum(x @ w[0], axis=1)
    want = numpy_lstm(sums, w[1:]), numpy_lstm(sums, w[1:], return_c=True)
    got = model.predict(x, verbose=0)
    assert [g.shape for g in got] == [(2, 2), (2, 3), (2, 2), (2, 2)]
    np.testing.assert_allclose(got[1], sums[:, -1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[3], want[1], rtol=1e-4, atol=1e-5)
    config = rnn.get_config()["cell"]["config"]["cells"][0]
    assert config["registered_name"] == "rnn_cells_test>RunningSumCell"
    model.save(tmp_path / "stacked.keras")
    loaded = kgraph.saving.load_model(tmp_path / "stacked.keras")
    for a, b in zip(loaded.predict(x, verbose=0), got):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layer_class", [layers.LSTM, layers.GRU, layers.LSTMCell, layers.GRUCell])
def test_keras_2_implementation_argument_is_taken_and_changes_nothing(layer_class):
    """Keras 2 code passes ``implementation=1``; Keras 3 takes it (the numbers do not
    depend on it) and leaves it out of the config."""
    plain, legacy = layer_class(3), layer_class(3, implementation=1)
    assert "implementation" not in legacy.get_config()
    assert legacy.get_config().keys() == plain.get_config().keys()
    if layer_class in (layers.LSTMCell, layers.GRUCell):
        plain, legacy = layers.RNN(plain), layers.RNN(legacy)
    x = np.random.default_rng(5).standard_normal((2, 4, 2)).astype(np.float32)
    plain(x)
    legacy(x)
    legacy.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(legacy(x)), np.asarray(plain(x)), rtol=1e-6)


def test_stacked_cells_return_states_per_cell_as_keras():
    """``return_state`` with stacked cells gives one entry per cell after the output (a tensor
    for a one-state cell, ``[h, c]`` for an LSTM cell), as Keras' layer call does."""
    x = np.random.default_rng(6).standard_normal((2, 4, 2)).astype(np.float32)
    rnn = layers.RNN([layers.SimpleRNNCell(3), layers.LSTMCell(2)], return_state=True)
    inputs = kgraph.Input((None, 2))
    output, simple_h, (lstm_h, lstm_c) = rnn(inputs)
    assert [t.shape for t in (output, simple_h, lstm_h, lstm_c)] == [
        (None, 2), (None, 3), (None, 2), (None, 2),
    ]  # fmt: skip
    model = kgraph.Model(inputs, [output, simple_h, lstm_h, lstm_c])
    w = rnn.get_weights()
    hidden = numpy_simple_rnn(x, w[:3], return_sequences=True)
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got[1], hidden[:, -1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[2], numpy_lstm(hidden, w[3:]), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[3], numpy_lstm(hidden, w[3:], return_c=True), atol=1e-5)
    np.testing.assert_allclose(got[0], got[2], rtol=1e-6)
