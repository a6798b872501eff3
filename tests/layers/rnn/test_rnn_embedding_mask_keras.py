"""Oracle: Keras' "Bidirectional LSTM on IMDB" shape of model, ``Input((None,), "int32")`` →
``Embedding(mask_zero=True)`` → ``Bidirectional(LSTM(return_sequences=True))`` → ``LSTM`` →
``Dense``, with padded sequences: the embedding's mask reaches the recurrent layers (no
``mask=`` written), and predictions and SGD losses equal real Keras' (JAX)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, draw_keras_initial_weights_with_numpy, keras

pytestmark = MARKS

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _numpy_weights(monkeypatch):
    draw_keras_initial_weights_with_numpy(monkeypatch)


def _imdb_like(framework):
    L = framework.layers
    inputs = framework.Input((None,), dtype="int32")
    x = L.Embedding(20, 4, mask_zero=True)(inputs)
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(x)
    x = L.GRU(2)(x)
    model = framework.Model(inputs, L.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=framework.optimizers.SGD(0.5), loss="binary_crossentropy")
    return model


def _padded(lengths, steps, left):
    """Token ids 1..19 with zeros padding each row to ``steps`` (before or after)."""
    ids = np.zeros((len(lengths), steps), np.int32)
    for row, n in enumerate(lengths):
        tokens = RNG.integers(1, 20, n)
        if left:
            ids[row, steps - n :] = tokens
        else:
            ids[row, :n] = tokens
    return ids


def _matched():
    ours, theirs = _imdb_like(kgraph), _imdb_like(keras)
    weights = [RNG.uniform(-0.8, 0.8, tuple(v.shape)).astype(np.float32) for v in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


@pytest.mark.parametrize("left", [False, True], ids=["right-padded", "left-padded"])
def test_embedding_mask_reaches_the_recurrent_layers_as_in_keras(left):
    ours, theirs = _matched()
    ids = _padded([7, 3, 1, 5], 7, left)
    expected = np.asarray(theirs(ids))
    np.testing.assert_allclose(ours.predict(ids, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours(ids)), expected, rtol=1e-5, atol=1e-6)
    padding = np.zeros((4, 3), np.int32)  # the padding is skipped: more gives the same
    longer = np.concatenate([padding, ids] if left else [ids, padding], axis=1)
    np.testing.assert_allclose(ours.predict(longer, verbose=0), expected, atol=1e-6)


def test_sgd_steps_on_padded_sequences_lose_what_keras_loses():
    ours, theirs = _matched()
    ids = _padded([6, 2, 4, 1, 6, 3, 5, 2], 6, left=False)
    y = RNG.integers(0, 2, (8, 1)).astype(np.float32)
    kwargs = dict(epochs=3, batch_size=8, shuffle=False, verbose=0)
    got = ours.fit(ids, y, **kwargs).history["loss"]
    expected = theirs.fit(ids, y, **kwargs).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert got[-1] < got[0]
