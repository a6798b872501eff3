"""Oracle: recurrent layers over a ``None`` time length (one ONNX Scan) give real Keras' (JAX)
outputs eagerly, in ``predict`` and in an ONNX file exported once and run by onnxruntime at
two other lengths; a few SGD steps of ``fit`` (with a mask input too) lose what Keras loses;
the Scan's gradients equal the unrolled loop's."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph.layers.rnn import time_loop
from tests.oracle.keras_oracle import MARKS, draw_keras_initial_weights_with_numpy, keras

pytestmark = MARKS

RNG = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def _numpy_weights(monkeypatch):
    draw_keras_initial_weights_with_numpy(monkeypatch)


def minimal_cell(layers, ops):
    """The RNN guide's ``MinimalRNNCell`` (Keras' cell contract), for either framework."""

    class MinimalRNNCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), name="recurrent_kernel"
            )

        def call(self, inputs, states):
            h = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return ops.tanh(h), [ops.tanh(h)]

    return MinimalRNNCell


CASES = {
    "lstm-backwards-state": lambda L, o: L.LSTM(
        3, go_backwards=True, return_sequences=True, return_state=True
    ),
    "gru-reset-after": lambda L, o: L.GRU(3, return_state=True),
    "gru-reset-before-backwards": lambda L, o: L.GRU(
        3, reset_after=False, go_backwards=True, return_sequences=True
    ),
    "simple": lambda L, o: L.SimpleRNN(4, return_sequences=True),
    "stacked": lambda L, o: L.RNN([L.GRUCell(3), L.LSTMCell(2)], return_state=True),
    "bidirectional": lambda L, o: L.Bidirectional(L.LSTM(2, return_sequences=True)),
    "user-cell": lambda L, o: L.RNN(minimal_cell(L, o)(3), return_sequences=True),
}


def _model(framework, case, features=3):
    inputs = framework.Input((None, features))
    layer = CASES[case](framework.layers, framework.ops)
    return framework.Model(inputs, layer(inputs))


def _flat(values):
    if isinstance(values, (list, tuple)):
        return [leaf for value in values for leaf in _flat(value)]
    return [values]


def _close(got, expected, tol=1e-5):
    got, expected = _flat(got), _flat(expected)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def _matched(case):
    ours, theirs = _model(kgraph, case), _model(keras, case)
    weights = [RNG.uniform(-0.8, 0.8, tuple(v.shape)).astype(np.float32) for v in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


@pytest.mark.parametrize("case", sorted(CASES))
def test_none_time_length_matches_keras_eagerly_and_in_predict(case):
    ours, theirs = _matched(case)
    assert ours.inputs[0].shape[1] is None
    x = RNG.standard_normal((3, 5, 3)).astype(np.float32)  # other lengths: the ONNX test
    expected = theirs(x)
    _close(ours(x), expected)
    _close(ours.predict(x, verbose=0), expected)


def test_initial_states_over_a_none_time_length_match_keras():
    def build(framework):
        x, h, c = framework.Input((None, 3)), framework.Input((2,)), framework.Input((2,))
        layer = framework.layers.LSTM(2, return_sequences=True, go_backwards=True)
        return framework.Model([x, h, c], layer(x, initial_state=[h, c]))

    ours, theirs = build(kgraph), build(keras)
    weights = [RNG.uniform(-1, 1, tuple(v.shape)).astype(np.float32) for v in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    data = [RNG.standard_normal(s).astype(np.float32) for s in [(2, 5, 3), (2, 2), (2, 2)]]
    _close(ours.predict(data, verbose=0), theirs(data))


def _branches(framework):
    """Several recurrent layers side by side on one ``None``-length input."""
    L, inputs = framework.layers, framework.Input((None, 3))
    outputs = [
        *L.RNN([L.GRUCell(3), L.LSTMCell(2)], return_state=True)(inputs),
        L.Bidirectional(L.GRU(2, reset_after=False, return_sequences=True))(inputs),
        L.RNN(minimal_cell(L, framework.ops)(2), go_backwards=True)(inputs),
    ]
    return framework.Model(inputs, outputs)


def test_exported_onnx_runs_other_lengths_as_keras():
    ours, theirs = _branches(kgraph), _branches(keras)
    weights = [RNG.uniform(-0.8, 0.8, tuple(v.shape)).astype(np.float32) for v in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    data = ours.to_onnx_bytes()
    assert [n.op_type for n in onnx.load_from_string(data).graph.node].count("Scan") == 4
    session = ort.InferenceSession(data)
    name = session.get_inputs()[0].name
    for steps in (5, 17):
        x = RNG.standard_normal((2, steps, 3)).astype(np.float32)
        _close(session.run(None, {name: x}), theirs(x))


def _masked_regressor(framework):
    x, mask = framework.Input((None, 3)), framework.Input((None,), dtype="bool")
    L = framework.layers
    h = L.Bidirectional(L.LSTM(3, return_sequences=True))(x, mask=mask)
    h = L.GRU(2, go_backwards=True)(h, mask=mask)
    model = framework.Model([x, mask], L.Dense(1)(h))
    model.compile(optimizer=framework.optimizers.SGD(0.1), loss="mse")
    return model


@pytest.mark.slow  # Keras' fit compiles for seconds; the Embedding mask test trains by default
def test_sgd_steps_with_a_mask_lose_what_keras_loses():
    ours, theirs = _masked_regressor(kgraph), _masked_regressor(keras)
    weights = [RNG.uniform(-0.5, 0.5, tuple(v.shape)).astype(np.float32) for v in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    x = RNG.standard_normal((8, 6, 3)).astype(np.float32)
    lengths = np.array([6, 5, 3, 1, 6, 2, 4, 6])
    mask = np.arange(6)[None, :] < lengths[:, None]
    y = RNG.standard_normal((8, 1)).astype(np.float32)
    kwargs = dict(epochs=4, batch_size=8, shuffle=False, verbose=0)
    got = ours.fit([x, mask], y, **kwargs).history["loss"]
    expected = theirs.fit([x, mask], y, **kwargs).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert got[-1] < got[0]
    _close(ours.get_weights(), theirs.get_weights())


GRADIENT_CASES = {
    "stacked-backwards": lambda L: L.RNN(
        [L.LSTMCell(3), L.GRUCell(2, reset_after=False)], go_backwards=True
    ),
    "bidirectional-gru": lambda L: L.Bidirectional(L.GRU(2), merge_mode="mul"),
    "user-cell-sequences": lambda L: (
        lambda t: L.GlobalAveragePooling1D()(
            L.RNN(minimal_cell(L, kgraph.ops)(3), return_sequences=True)(t)
        )
    ),
}


def _gradients(case, steps, x, y, seed):
    """One SGD step of learning rate 1 from weights drawn with ``seed``: the gradients."""
    inputs = kgraph.Input((steps, 3))
    outputs = kgraph.layers.Dense(1)(GRADIENT_CASES[case](kgraph.layers)(inputs))
    model = kgraph.Model(inputs, outputs)
    model.compile(optimizer=kgraph.optimizers.SGD(1.0), loss="mse")
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.7, 0.7, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    return [w0 - w for w0, w in zip(weights, model.get_weights())]


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_scan_gradients_equal_the_unrolled_loops(case, monkeypatch):
    x = RNG.standard_normal((4, 6, 3)).astype(np.float32)
    y = RNG.standard_normal((4, 1)).astype(np.float32)
    scanned = _gradients(case, None, x, y, seed=1)
    monkeypatch.setattr(time_loop, "UNROLL_MAX_STEPS", 100)
    unrolled = _gradients(case, 6, x, y, seed=1)
    assert all(np.abs(g).max() > 1e-4 for g in scanned)  # every weight, in the body too
    _close(scanned, unrolled, tol=2e-5)
