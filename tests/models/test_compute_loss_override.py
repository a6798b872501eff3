"""A ``compute_loss`` override is traced into the step and eval graphs.

References are numpy written here: the override's loss recomputed from ``get_weights``, one SGD
step's new weights against the analytic gradient (pattern "extra term on the compiled loss")
or central finite differences of the numpy loss (an autoencoder trained without targets), and
Keras' tracker semantics (a ``Mean`` of one value per batch, reset at each epoch).
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import ops

RNG = np.random.default_rng(7)
X = RNG.normal(size=(10, 3)).astype("float32")
Y = RNG.normal(size=(10, 2)).astype("float32")
BATCHES = (slice(0, 4), slice(4, 8), slice(8, 10))  # batch_size=4


class Linear(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.dense = keras.layers.Dense(2)

    def call(self, x):
        return self.dense(x)


class Penalized(Linear):
    """The compiled loss plus ``0.01 * sum(y_pred**2)`` (Keras' documented pattern)."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        return loss + 0.01 * ops.sum(ops.square(y_pred))


def _penalized_loss_and_grads(w, b, x, y):
    pred = x @ w + b
    loss = np.mean((pred - y) ** 2) + 0.01 * np.sum(pred**2)
    d_pred = 2 * (pred - y) / pred.size + 0.02 * pred
    return loss, x.T @ d_pred, d_pred.sum(0)


def test_extra_term_on_compiled_loss_one_sgd_step():
    model = Penalized()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    model.build((None, 3))
    w, b = model.get_weights()
    history = model.fit(X, Y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    loss, gw, gb = _penalized_loss_and_grads(w, b, X, Y)
    assert list(history.history) == ["loss", "mae"]
    assert history.history["loss"][0] == pytest.approx(loss, rel=1e-5)
    assert history.history["mae"][0] == pytest.approx(np.mean(np.abs(X @ w + b - Y)), rel=1e-5)
    new_w, new_b = model.get_weights()
    np.testing.assert_allclose(new_w, w - 0.1 * gw, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_b, b - 0.1 * gb, rtol=1e-5, atol=1e-7)
    # evaluate traces the override too (training=False), with the same loss
    results = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert results["loss"] == pytest.approx(_penalized_loss_and_grads(new_w, new_b, X, Y)[0])


class AutoEncoder(keras.Model):
    """A linear autoencoder trained without targets; its loss terms go to trackers."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.encoder = keras.layers.Dense(2, use_bias=False)
        self.decoder = keras.layers.Dense(3)
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.code_loss_tracker = keras.metrics.Mean(name="code_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.code_loss_tracker]

    def call(self, x):
        return self.decoder(self.encoder(x))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        code = self.encoder(x)
        rec = ops.mean(ops.sum(ops.square(x - self.decoder(code)), axis=1))
        code_loss = 0.5 * ops.mean(ops.sum(ops.square(code), axis=1))
        total = rec + code_loss
        self.total_loss_tracker.update_state(total)
        self.code_loss_tracker.update_state(code_loss)
        return total


def _autoencoder_terms(weights, x):
    enc, dec_w, dec_b = weights
    code = x @ enc
    rec = np.mean(np.sum((x - (code @ dec_w + dec_b)) ** 2, axis=1))
    code_loss = 0.5 * np.mean(np.sum(code**2, axis=1))
    return rec + code_loss, code_loss


def _finite_difference(weights, x, eps=1e-3):
    grads = []
    for i, w in enumerate(weights):
        g = np.zeros_like(w, dtype=np.float64)
        for index in np.ndindex(w.shape):
            moved = [v.astype(np.float64) for v in weights]
            moved[i][index] += eps
            up = _autoencoder_terms(moved, x)[0]
            moved[i][index] -= 2 * eps
            g[index] = (up - _autoencoder_terms(moved, x)[0]) / (2 * eps)
        grads.append(g)
    return grads


def test_autoencoder_without_targets_trackers_and_step():
    model = AutoEncoder()
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.build((None, 3))
    start = model.get_weights()
    history = model.fit(X, batch_size=10, epochs=1, shuffle=False, verbose=0)
    assert list(history.history) == ["total_loss", "code_loss"]  # model.metrics, as Keras
    total, code_loss = _autoencoder_terms(start, X)
    assert history.history["total_loss"][0] == pytest.approx(total, rel=1e-5)
    assert history.history["code_loss"][0] == pytest.approx(code_loss, rel=1e-5)
    for new, old, grad in zip(model.get_weights(), start, _finite_difference(start, X)):
        np.testing.assert_allclose(new, old - 0.05 * grad, rtol=1e-3, atol=1e-5)


def test_trackers_average_batches_and_reset_each_epoch():
    model = AutoEncoder()
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # weights stay: values are exact
    model.build((None, 3))
    weights = model.get_weights()
    history = model.fit(X, batch_size=4, epochs=2, shuffle=False, verbose=0)
    batches = [X[:4], X[4:8], X[8:]]  # Mean of one value per batch: unweighted by size
    want = np.mean([_autoencoder_terms(weights, xb) for xb in batches], axis=0)
    for epoch in range(2):
        assert history.history["total_loss"][epoch] == pytest.approx(want[0], rel=1e-5)
        assert history.history["code_loss"][epoch] == pytest.approx(want[1], rel=1e-5)
    listed = model.evaluate(X, batch_size=4, verbose=0)
    np.testing.assert_allclose(listed, want, rtol=1e-5)  # model.metrics' order
    as_dict = model.evaluate(X, batch_size=4, verbose=0, return_dict=True)
    assert list(as_dict) == ["total_loss", "code_loss"]


class Counter(keras.metrics.Metric):
    """A user metric written with ops: the largest value seen."""

    def __init__(self, name="largest"):
        super().__init__(name=name)
        self.largest = self.add_variable((), name="largest")

    def update_state(self, values, sample_weight=None):
        self.largest.assign(ops.maximum(self.largest, ops.max(values)))

    def result(self):
        return self.largest


class Tracked(Linear):
    """Default ``metrics``: the loss, the compiled metrics, then the trackers."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.penalty_tracker = keras.metrics.Mean(name="penalty")
        self.largest = Counter()

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        penalty = 0.01 * ops.sum(ops.square(y_pred))
        self.penalty_tracker.update_state(penalty)
        self.largest.update_state(ops.abs(y_pred))
        return loss + penalty


def test_default_metrics_log_loss_then_trackers_and_user_metric():
    model = Tracked()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    model.build((None, 3))
    w, b = model.get_weights()
    history = model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert list(history.history) == ["loss", "mae", "penalty", "largest"]
    pred = X @ w + b
    penalties = [0.01 * np.sum(pred[s] ** 2) for s in BATCHES]
    assert history.history["penalty"][0] == pytest.approx(np.mean(penalties), rel=1e-5)
    assert history.history["largest"][0] == pytest.approx(np.abs(pred).max(), rel=1e-6)
    sizes = np.array([4, 4, 2])  # the loss tracker weights batches by their size, as Keras
    losses = [_penalized_loss_and_grads(w, b, X[s], Y[s])[0] for s in BATCHES]
    assert history.history["loss"][0] == pytest.approx(np.average(losses, weights=sizes), rel=1e-5)
    assert model.evaluate(X, Y, verbose=0)[2:] == pytest.approx(
        [0.01 * np.sum(pred**2), np.abs(pred).max()], rel=1e-5
    )


def test_compiled_loss_includes_regularization():
    class Regularized(Penalized):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1))

    model = Regularized()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    model.build((None, 3))
    w, b = model.get_weights()
    loss = model.fit(X, Y, batch_size=10, verbose=0).history["loss"][0]
    want = _penalized_loss_and_grads(w, b, X, Y)[0] + 0.1 * np.sum(w**2)
    assert loss == pytest.approx(want, rel=1e-5)


def test_bad_overrides_are_refused_with_one_error():
    class Eager(Penalized):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return 1.0

    class PerSample(Penalized):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return ops.sum(ops.square(y_pred - y), axis=1)

    for cls, error, match in (
        (Eager, TypeError, "must compute its loss"),
        (PerSample, ValueError, "must return a scalar loss"),
    ):
        model = cls()
        model.compile(optimizer="sgd", loss="mse")
        with pytest.raises(error, match=match):
            model.fit(X, Y, verbose=0)


def test_train_step_override_is_still_refused():
    class Stepped(Penalized):
        def train_step(self, data):
            return {}

    model = Stepped()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(NotImplementedError, match="overrides `train_step`"):
        model.fit(X, Y, verbose=0)


class Reported(Linear):
    """Keras' guide pattern: the default results, a tracker and a per-batch value added."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.size_tracker = keras.metrics.Mean(name="size")

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        results = super().compute_metrics(x, y, y_pred, sample_weight)
        self.size_tracker.update_state(ops.abs(y_pred))
        results["size"] = self.size_tracker.result()
        results["batch_gap"] = ops.max(ops.abs(y - y_pred))
        return results


def test_compute_metrics_override_logs_what_it_returns():
    model = Reported()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    model.build((None, 3))
    w, b = model.get_weights()
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert list(history.history) == ["loss", "mae", "size", "batch_gap"]
    pred = X @ w + b
    for epoch in range(2):  # the tracker resets each epoch; batch_gap is the last batch's
        assert history.history["size"][epoch] == pytest.approx(np.mean(np.abs(pred)), rel=1e-5)
        gap = np.max(np.abs(Y[8:] - pred[8:]))
        assert history.history["batch_gap"][epoch] == pytest.approx(gap, rel=1e-6)
        assert history.history["mae"][epoch] == pytest.approx(np.mean(np.abs(Y - pred)), 1e-5)
    results = model.evaluate(X, Y, batch_size=10, verbose=0)
    want = [np.mean((pred - Y) ** 2), np.mean(np.abs(pred - Y)), np.mean(np.abs(pred))]
    np.testing.assert_allclose(results, [*want, np.max(np.abs(Y - pred))], rtol=1e-5)


def test_compute_metrics_must_return_a_dict():
    class Listed(Linear):
        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            return [ops.mean(y_pred)]

    model = Listed()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="must return a dict of metric results"):
        model.fit(X, Y, verbose=0)


def test_trackers_hold_the_last_loops_state_as_keras_metric_objects():
    model = Reported()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    model.build((None, 3))
    w, b = model.get_weights()
    pred = X @ w + b
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    results = model.get_metrics_result()
    assert set(results) == {"loss", "mae", "size"}  # compile_metrics holds no tracker
    assert results["mae"] == pytest.approx(np.mean(np.abs(pred - Y)), rel=1e-5)
    assert results["size"] == pytest.approx(np.mean(np.abs(pred)), rel=1e-5)
    count = model.size_tracker.count.numpy()
    assert count == 10  # one per sample of the epoch (Keras' Mean of a (batch, 2) tensor)
    model.evaluate(X[:4], Y[:4], verbose=0)
    assert model.size_tracker.result() == pytest.approx(np.mean(np.abs(pred[:4])), rel=1e-5)
    model.reset_metrics()
    assert model.size_tracker.result() == 0.0


def test_user_metric_tracker_holds_its_variables_after_fit():
    model = Tracked()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    model.build((None, 3))
    w, b = model.get_weights()
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    assert model.largest.result().numpy() == pytest.approx(np.abs(X @ w + b).max(), rel=1e-6)


class OwnLoss(keras.Sequential):
    """Compiled without a loss: the override reads ``y`` itself."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        return 2.0 * ops.mean(ops.square(y_pred - y))


def test_override_gets_targets_without_a_compiled_loss():
    model = OwnLoss([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    w, b = model.get_weights()
    want = [2 * np.mean((X[s] @ w + b - Y[s]) ** 2) for s in (slice(0, 5), slice(5, 10))]
    arrays = model.fit(X, Y, batch_size=5, shuffle=False, verbose=0).history["loss"][0]
    assert arrays == pytest.approx(np.mean(want), rel=1e-5)
    batches = [(X[:5], Y[:5]), (X[5:], Y[5:])]  # a dataset: its first batch brings targets
    assert model.fit(batches, verbose=0).history["loss"][0] == pytest.approx(np.mean(want), 1e-5)
    assert model.evaluate(X[:5], Y[:5], verbose=0) == pytest.approx(want[0], rel=1e-5)
