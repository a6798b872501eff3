"""Oracle: per-timestep (per-element) ``sample_weight`` in kgraph and real Keras (JAX).

Both libraries build the same models from the same weights (kgraph's, loaded with Keras'
``set_weights``) and fit two epochs of SGD with ``shuffle=False``: the losses and the weighted
metrics of every epoch, and ``evaluate``'s, match. A sequence tagger weighs each timestep
(0 on padding), and a regression output of shape (batch, 3, 1) weighs each of its 3 values.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RTOL, ATOL = 1e-4, 1e-5


def _tagger(lib):
    return lib.Sequential(
        [
            lib.Input((7,), dtype="int32"),
            lib.layers.Embedding(20, 8),
            lib.layers.LSTM(6, return_sequences=True),
            lib.layers.Dense(4, activation="softmax"),
        ]
    )


def _regressor(lib):
    return lib.Sequential(
        [lib.Input((3, 4)), lib.layers.Dense(5, activation="tanh"), lib.layers.Dense(1)]
    )


def _tagger_data():
    rng = np.random.default_rng(1)
    ids = rng.integers(1, 20, size=(24, 7)).astype("int32")
    lengths = rng.integers(2, 8, size=24)
    ids[np.arange(7)[None, :] >= lengths[:, None]] = 0
    tags = rng.integers(0, 4, size=(24, 7))
    return ids, tags, (ids > 0).astype("float32")


def _regression_data():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 3, 4)).astype("float32")
    y = rng.normal(size=(20, 3, 1)).astype("float32")
    return x, y, rng.uniform(0, 2, size=(20, 3)).astype("float32")


def _both(build, loss, weighted_metrics, data, **fit_args):
    """``(history, evaluate)`` of kgraph and Keras on ``data`` = ``(x, y, sample_weight)``."""
    x, y, sw = data
    results = []
    weights = None
    for lib in (kgraph, keras):
        model = build(lib)
        if weights is None:
            weights = model.get_weights()
        else:
            model.set_weights(weights)
        optimizer = lib.optimizers.SGD(learning_rate=0.5)
        model.compile(optimizer, loss, weighted_metrics=weighted_metrics)
        history = model.fit(x, y, sample_weight=sw, epochs=2, verbose=0, shuffle=False, **fit_args)
        scores = model.evaluate(x, y, sample_weight=sw, batch_size=8, verbose=0)
        results.append((history.history, scores))
    return results


def test_tagger_per_timestep_weights_match_keras():
    (mine, mine_eval), (theirs, theirs_eval) = _both(
        _tagger,
        "sparse_categorical_crossentropy",
        ["sparse_categorical_accuracy", "sparse_categorical_crossentropy"],
        _tagger_data(),
        batch_size=8,
    )
    assert set(mine) == set(theirs)
    for key in theirs:
        np.testing.assert_allclose(mine[key], theirs[key], rtol=RTOL, atol=ATOL, err_msg=key)
    np.testing.assert_allclose(mine_eval, theirs_eval, rtol=RTOL, atol=ATOL)


def test_per_element_weighted_mse_matches_keras():
    (mine, mine_eval), (theirs, theirs_eval) = _both(
        _regressor, "mse", ["mae", "mse"], _regression_data(), batch_size=6
    )
    for key in theirs:
        np.testing.assert_allclose(mine[key], theirs[key], rtol=RTOL, atol=ATOL, err_msg=key)
    np.testing.assert_allclose(mine_eval, theirs_eval, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("weights", ["per_sample", "none"])
def test_evaluate_after_per_timestep_fit_matches_keras(weights):
    """Graphs built for per-timestep weights evaluate per-sample weights (and none) as
    Keras does with a (batch, 1) column (Keras' own (batch,) weights on (batch, time) loss
    values fail to broadcast)."""
    ids, tags, sw = _tagger_data()
    given = np.linspace(0.5, 2.0, len(ids)).astype("float32")[:, None]
    given = given if weights == "per_sample" else None
    scores = []
    kept = None
    for lib in (kgraph, keras):
        model = _tagger(lib)
        kept = model.get_weights() if kept is None else model.set_weights(kept) or kept
        model.compile("sgd", "sparse_categorical_crossentropy", weighted_metrics=["accuracy"])
        model.fit(ids, tags, sample_weight=sw, batch_size=8, epochs=1, verbose=0, shuffle=False)
        scores.append(model.evaluate(ids, tags, sample_weight=given, batch_size=8, verbose=0))
    np.testing.assert_allclose(scores[0], scores[1], rtol=RTOL, atol=ATOL)
