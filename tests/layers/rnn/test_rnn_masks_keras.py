"""Oracle: recurrent layers given a Keras ``(batch, time)`` mask skip the masked steps as real
Keras (JAX) does: states carried over, the previous output (or zeros) at masked steps, with
right- and left-padded masks, ``go_backwards``, ``return_sequences`` / ``return_state``,
non-zero initial states, stacked cells and ``Bidirectional`` (which zeroes masked sequence
outputs); eagerly and inside a Functional model whose mask is a ``keras.Input``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, draw_keras_initial_weights_with_numpy, keras

pytestmark = MARKS

RNG = np.random.default_rng(11)
X = RNG.standard_normal((4, 6, 3)).astype(np.float32)
#: right-padded, left-padded, a hole in the middle, nothing masked
MASK = np.array(
    [[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 0, 1, 1, 0], [1, 1, 1, 1, 1, 1]], bool
)


@pytest.fixture(autouse=True)
def _numpy_weights(monkeypatch):
    draw_keras_initial_weights_with_numpy(monkeypatch)


def _pair(make):
    """The same layer in kgraph and Keras, built, with Keras' weights copied into kgraph's."""
    ours, theirs = make(kgraph.layers), make(keras.layers)
    ours.build(X.shape)
    theirs.build(X.shape)
    weights = [RNG.uniform(-1, 1, tuple(v.shape)).astype(np.float32) for v in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


def _flat(values):
    if isinstance(values, (list, tuple)):
        return [leaf for value in values for leaf in _flat(value)]
    return [values]


def _close(got, expected):
    """Equal outputs; kgraph returns stacked cells' states flattened, Keras one list per cell."""
    got, expected = _flat(got), _flat(expected)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


CASES = {
    "lstm-backwards-sequences-state": lambda L: L.LSTM(
        2, go_backwards=True, return_sequences=True, return_state=True
    ),
    "gru-zero-output": lambda L: L.GRU(3, return_sequences=True, zero_output_for_mask=True),
    "gru-reset-before": lambda L: L.GRU(3, reset_after=False, return_state=True),
    "simple-backwards-zero": lambda L: L.SimpleRNN(
        3, go_backwards=True, return_sequences=True, zero_output_for_mask=True
    ),
    "stacked": lambda L: L.RNN(
        [L.LSTMCell(3), L.GRUCell(2)], return_sequences=True, return_state=True
    ),
    "bidirectional-concat": lambda L: L.Bidirectional(L.LSTM(2, return_sequences=True)),
    "bidirectional-state": lambda L: L.Bidirectional(
        L.GRU(2, return_sequences=True, return_state=True), merge_mode=None
    ),
    "bidirectional-last": lambda L: L.Bidirectional(L.SimpleRNN(3), merge_mode="sum"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_masked_call_matches_keras(case):
    ours, theirs = _pair(CASES[case])
    _close(ours(X, mask=MASK), theirs(X, mask=MASK))


@pytest.mark.parametrize("case", ["lstm-backwards-sequences-state", "bidirectional-state"])
def test_functional_model_with_a_mask_input_matches_keras(case):
    ours, theirs = _pair(CASES[case])
    sequences, mask = kgraph.Input((None, 3)), kgraph.Input((None,), dtype="bool")
    model = kgraph.Model([sequences, mask], ours(sequences, mask=mask))
    _close(model.predict([X, MASK], verbose=0), theirs(X, mask=MASK))


def test_masked_first_step_repeats_the_initial_state_as_keras():
    """Keras' scan path returns the first state at a masked step, so a left-padded sequence
    starts from the initial state rather than zeros."""
    ours, theirs = _pair(lambda L: L.LSTM(3, return_sequences=True))
    h0, c0 = (RNG.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    got = ours(X, initial_state=[h0, c0], mask=MASK)
    _close(got, theirs(X, initial_state=[h0, c0], mask=MASK))
    np.testing.assert_allclose(np.asarray(got)[1, :2], np.stack([h0[1], h0[1]]), atol=1e-6)


def test_all_true_mask_changes_nothing_and_compute_mask_is_keras():
    layer = kgraph.layers.GRU(3, return_sequences=True, return_state=True)
    _close(layer(X, mask=np.ones(X.shape[:2], bool)), layer(X))
    theirs = keras.layers.GRU(3, return_sequences=True, return_state=True)
    theirs.build(X.shape)
    for ours_mask, keras_mask in zip(
        layer.compute_mask(X, MASK), theirs.compute_mask(X, MASK), strict=True
    ):
        assert (ours_mask is None) == (keras_mask is None)
    assert kgraph.layers.LSTM(2).compute_mask(X, MASK) is None
    bidirectional = kgraph.layers.Bidirectional(kgraph.layers.LSTM(2, return_sequences=True))
    assert bidirectional.compute_mask(X, MASK) is MASK
    assert kgraph.layers.Bidirectional(kgraph.layers.LSTM(2)).compute_mask(X, MASK) is None
