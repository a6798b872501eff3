"""Losses the user writes with ``kgraph.ops`` — a plain function ``fn(y_true, y_pred)`` and a
``keras.losses.Loss`` subclass — traced into the step and eval graphs: the loss, its sample
weighting and reduction, and the gradient step match numpy."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers, ops

RNG = np.random.default_rng(5)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)
W = RNG.uniform(0.5, 2.0, size=8).astype(np.float32)


def cubed_error(y_true, y_pred):
    return ops.mean(ops.abs(y_true - y_pred) ** 3, axis=-1)


class CubedError(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return cubed_error(y_true, y_pred)


def linear(loss):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), loss)
    return model


def numpy_loss_and_grad(kernel, bias, weights=None, reduction="sum_over_batch_size"):
    err = X @ kernel + bias - Y
    per_sample = (np.abs(err) ** 3).mean(-1)
    w = np.ones(len(X)) if weights is None else weights
    total = (per_sample * w).sum()
    scale = len(X) if reduction == "sum_over_batch_size" else 1.0
    g_out = 3 * err * np.abs(err) / err.shape[1] * w[:, None] / scale
    return total / scale, X.T @ g_out, g_out.sum(0)


@pytest.mark.parametrize(
    "loss, reduction",
    [
        (cubed_error, "sum_over_batch_size"),
        (CubedError(), "sum_over_batch_size"),
        (CubedError, "sum_over_batch_size"),
        (CubedError(reduction="sum"), "sum"),
    ],
    ids=["function", "subclass", "subclass_type", "subclass_sum"],
)
def test_user_loss_trains_like_numpy(loss, reduction):
    model = linear(loss)
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    want, g_kernel, g_bias = numpy_loss_and_grad(kernel, bias, W, reduction)
    evaluated = model.evaluate(X, Y, sample_weight=W, batch_size=8, verbose=0)
    np.testing.assert_allclose(evaluated, want, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(X, Y, sample_weight=W), want, rtol=1e-5)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * g_kernel, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_bias, bias - 0.1 * g_bias, rtol=1e-5, atol=1e-7)


def test_user_loss_with_metrics_and_fit_history():
    model = linear(cubed_error)
    model.compile("sgd", cubed_error, metrics=["mae"])
    history = model.fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert list(history.history) == ["loss", "mae"]
    assert history.history["loss"][1] < history.history["loss"][0]


def test_a_user_loss_that_leaves_ops_fails_with_one_line():
    model = linear(lambda y_true, y_pred: 1.0)
    with pytest.raises(TypeError, match="must compute its result from y_true and y_pred"):
        model.fit(X, Y, verbose=0)


def worst_error(y_true, y_pred):
    """A user metric: the largest absolute error of each sample."""
    return ops.max(ops.abs(y_true - y_pred), axis=-1)


def prob_of_label(y_true, y_pred):
    """A user metric on integer labels: the predicted probability of the true class."""
    picked = ops.take_along_axis(y_pred, ops.expand_dims(ops.cast(y_true, "int32"), -1), axis=-1)
    return ops.squeeze(picked, -1)


def test_user_metric_functions_average_per_sample_values_in_fit_and_evaluate():
    model = linear("mse")
    model.compile("sgd", "mse", metrics=[worst_error, "mae"], weighted_metrics=[worst_error])
    kernel, bias = model.get_weights()
    worst = np.abs(X @ kernel + bias - Y).max(-1)
    logs = model.evaluate(X, Y, sample_weight=W, batch_size=3, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "worst_error", "mae", "weighted_worst_error"]
    np.testing.assert_allclose(logs["worst_error"], worst.mean(), rtol=1e-5)
    np.testing.assert_allclose(logs["weighted_worst_error"], (worst * W).sum() / W.sum(), rtol=1e-5)
    history = model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["worst_error"][0], worst.mean(), rtol=1e-5)


def test_user_metric_with_sparse_labels():
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[prob_of_label])
    labels = np.arange(8) % 4
    probs = model.predict(X, verbose=0)
    logs = model.evaluate(X, labels, verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["prob_of_label"], probs[np.arange(8), labels].mean(), rtol=1e-5)


class PositiveHits(keras.metrics.Metric):
    """A user metric subclass, as Keras' guide writes one: counts and a ratio in variables."""

    def __init__(self, name="positive_hits", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hit = ops.cast(ops.logical_and(y_true > 0, y_pred > 0), "float32")
        if sample_weight is not None:
            hit = hit * ops.expand_dims(sample_weight, -1)
        self.hits.assign_add(ops.sum(hit))
        self.seen.assign_add(ops.sum(ops.ones_like(hit)))

    def result(self):
        return self.hits / self.seen


def test_user_metric_subclass_accumulates_in_the_graphs_and_eagerly():
    model = linear("mse")
    model.compile("sgd", "mse", metrics=[PositiveHits()], weighted_metrics=[PositiveHits])
    kernel, bias = model.get_weights()
    hit = ((X @ kernel + bias > 0) & (Y > 0)).astype(np.float64)
    logs = model.evaluate(X, Y, sample_weight=W, batch_size=3, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "positive_hits", "weighted_positive_hits"]
    np.testing.assert_allclose(logs["positive_hits"], hit.mean(), rtol=1e-5)
    weighted = (hit * W[:, None]).sum() / hit.size
    np.testing.assert_allclose(logs["weighted_positive_hits"], weighted, rtol=1e-5)
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert 0.0 <= history.history["positive_hits"][1] <= 1.0
    eager = PositiveHits()
    eager.update_state(Y, X @ kernel + bias)
    np.testing.assert_allclose(float(eager.result()), hit.mean(), rtol=1e-5)
    eager.reset_state()
    assert float(eager.hits) == 0.0
