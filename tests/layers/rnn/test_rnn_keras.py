"""Oracle: SimpleRNN, LSTM and GRU in real Keras (JAX) with kgraph's weights give the same
outputs and states, so weights interchange through get_weights/set_weights."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SimpleRNN", dict(units=3, return_sequences=True)),
        ("SimpleRNN", dict(units=4, go_backwards=True, activation="relu")),
        ("LSTM", dict(units=3, return_sequences=True)),
        ("LSTM", dict(units=4, return_state=True, go_backwards=True)),
        ("GRU", dict(units=3, return_sequences=True)),
        ("GRU", dict(units=4, reset_after=False, return_state=True)),
        ("GRU", dict(units=2, use_bias=False, recurrent_activation="hard_sigmoid")),
    ],
)
def test_matches_keras(name, kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    inputs = kgraph.Input((5, 3))
    ours = getattr(kgraph.layers, name)(**kwargs)
    model = kgraph.Model(inputs, ours(inputs))
    weights = [rng.uniform(-1, 1, w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(x.shape)
    assert [tuple(v.shape) for v in theirs.weights] == [w.shape for w in weights]
    assert [v.path.split("/")[-1] for v in theirs.weights] == [w.name for w in ours.weights]
    theirs.set_weights(weights)
    expected = theirs(x, training=False)
    got = model.predict(x, verbose=0)
    if not kwargs.get("return_state"):
        expected, got = [expected], [got]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
def test_initial_bias_and_config_match_keras(name):
    ours, theirs = getattr(kgraph.layers, name)(3), getattr(keras.layers, name)(3)
    ours.build((None, 4, 2))
    theirs.build((None, 4, 2))
    if ours.bias is not None:  # LSTM's unit_forget_bias puts ones on the forget block
        np.testing.assert_array_equal(ours.get_weights()[-1], theirs.get_weights()[-1])
    missing = set(theirs.get_config()) - set(ours.get_config())
    assert missing <= {"activity_regularizer"}, missing  # kgraph lists it only when set
    clone = getattr(kgraph.layers, name).from_config(theirs.get_config())
    assert clone.get_config()["units"] == 3


@pytest.mark.parametrize(
    "inner, merge_mode",
    [("LSTM", "concat"), ("GRU", "ave"), ("SimpleRNN", None)],
)
def test_bidirectional_matches_keras(inner, merge_mode):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    kwargs = dict(units=2, return_sequences=True, return_state=True)
    ours = kgraph.layers.Bidirectional(getattr(kgraph.layers, inner)(**kwargs), merge_mode)
    theirs = keras.layers.Bidirectional(getattr(keras.layers, inner)(**kwargs), merge_mode)
    ours.build(x.shape)
    theirs.build(x.shape)
    weights = [rng.uniform(-1, 1, w.shape).astype(np.float32) for w in ours.weights]
    assert [tuple(v.shape) for v in theirs.weights] == [w.shape for w in weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    got, expected = ours(x), theirs(x, training=False)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    clone = kgraph.layers.Bidirectional.from_config(theirs.get_config())
    assert clone.backward_layer.go_backwards and clone.merge_mode == merge_mode


def test_rnn_of_stacked_cells_matches_keras():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)

    def cells(lib):
        return [lib.layers.LSTMCell(3), lib.layers.GRUCell(2), lib.layers.SimpleRNNCell(2)]

    ours = kgraph.layers.RNN(cells(kgraph), return_sequences=True)
    theirs = keras.layers.RNN(cells(keras), return_sequences=True)
    ours.build(x.shape)
    theirs.build(x.shape)
    weights = [rng.uniform(-1, 1, w.shape).astype(np.float32) for w in ours.weights]
    assert [tuple(v.shape) for v in theirs.weights] == [w.shape for w in weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    clone = kgraph.layers.RNN.from_config(theirs.get_config())
    assert [type(c).__name__ for c in clone.cell.cells] == ["LSTMCell", "GRUCell", "SimpleRNNCell"]


def test_keras_files_interchange(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 2)).astype(np.float32)
    inputs = kgraph.Input((4, 2))
    hidden = kgraph.layers.GRU(3, return_sequences=True)(inputs)
    hidden = kgraph.layers.Bidirectional(kgraph.layers.LSTM(2))(hidden)
    model = kgraph.Model(inputs, kgraph.layers.Dense(1)(hidden))
    model.set_weights([rng.uniform(-1, 1, w.shape).astype(np.float32) for w in model.weights])
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(theirs(x)), expected, rtol=1e-5, atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = kgraph.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
