"""Oracle: after the same ``compile`` and ``fit`` (weights copied from kgraph into Keras, JAX
backend), ``model.metrics``, ``get_metrics_result``, the loss tracker's variables,
``compute_loss``/``compute_metrics`` and ``optimizer.iterations`` read the same in kgraph as in
real Keras, for one output and for two outputs with per-output loss trackers."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(3)
X = RNG.normal(size=(20, 5)).astype("float32")
Y = RNG.integers(0, 3, size=20)
Y2 = RNG.normal(size=(20, 1)).astype("float32")


def _single(lib):
    inputs = lib.Input((5,))
    hidden = lib.layers.Dense(6, activation="relu", name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(3, activation="softmax", name="probs")(hidden))


def _double(lib):
    inputs = lib.Input((5,))
    hidden = lib.layers.Dense(6, activation="relu", name="hidden")(inputs)
    probs = lib.layers.Dense(3, activation="softmax", name="probs")(hidden)
    return lib.Model(inputs, [probs, lib.layers.Dense(1, name="value")(hidden)])


def _pair(build, **compile_args):
    keras.backend.clear_session()
    kgraph.utils.clear_session()
    ours, theirs = build(kgraph), build(keras)
    theirs.set_weights(ours.get_weights())
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(lib.optimizers.Adam(0.01), **compile_args)
    return ours, theirs


def _results(model) -> dict:
    return {k: float(v) for k, v in model.get_metrics_result().items()}


def _assert_same(ours, theirs):
    assert [m.name for m in ours.metrics] == [m.name for m in theirs.metrics]
    assert list(ours.get_metrics_result()) == list(theirs.get_metrics_result())
    np.testing.assert_allclose(
        list(_results(ours).values()), list(_results(theirs).values()), rtol=1e-5
    )
    # the loss tracker(s): Keras' Mean variables total (sum of loss x batch size) and count
    for mine, keras_metric in zip(ours.metrics, theirs.metrics):
        if keras_metric.name.endswith("loss"):
            got = {v.path: float(v.numpy()) for v in mine.variables}
            want = {v.path: float(v.numpy()) for v in keras_metric.variables}
            assert got.keys() == want.keys()
            np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=1e-5)


def test_single_output_metrics_match_keras():
    ours, theirs = _pair(_single, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert [m.name for m in ours.metrics] == [m.name for m in theirs.metrics]
    for model in (ours, theirs):
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations.numpy()) == 6
    _assert_same(ours, theirs)
    for model in (ours, theirs):  # evaluate's results replace fit's, in both
        model.evaluate(X[:12], Y[:12], batch_size=5, verbose=0)
    _assert_same(ours, theirs)
    probs = ours.predict(X, verbose=0)
    for model in (ours, theirs):
        model.reset_metrics()
    assert _results(ours) == _results(theirs) == {"loss": 0.0, "accuracy": 0.0}
    np.testing.assert_allclose(
        float(ours.compute_loss(X, Y, probs)), float(theirs.compute_loss(X, Y, probs)), rtol=1e-5
    )
    for batch in (slice(0, 20), slice(0, 7)):
        got = ours.compute_metrics(X[batch], Y[batch], probs[batch])
        want = theirs.compute_metrics(X[batch], Y[batch], probs[batch])
        np.testing.assert_allclose(float(got["accuracy"]), float(want["accuracy"]), rtol=1e-6)


def test_two_outputs_list_per_output_loss_trackers_as_keras():
    ours, theirs = _pair(
        _double,
        loss=["sparse_categorical_crossentropy", "mse"],
        loss_weights=[1.0, 0.5],
        metrics=[["accuracy"], ["mae"]],
    )
    for model in (ours, theirs):
        model.fit(X, [Y, Y2], batch_size=10, shuffle=False, verbose=0)
    _assert_same(ours, theirs)
    probs, value = ours.predict(X, verbose=0)
    np.testing.assert_allclose(
        float(ours.compute_loss(X, [Y, Y2], [probs, value])),
        float(theirs.compute_loss(X, [Y, Y2], [probs, value])),
        rtol=1e-5,
    )
