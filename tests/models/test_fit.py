"""``fit`` / ``evaluate`` / ``*_on_batch`` against numpy written here: SGD (plain, momentum,
Nesterov) weights after each epoch, metrics in History (accuracy resolved as Keras does), the
validation split, sample and class weights, generators and lists of batches, ``steps_per_epoch``,
``initial_epoch`` and the progress output."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

TOL = {"rtol": 1e-5, "atol": 1e-6}
RNG = np.random.default_rng(7)
X = RNG.normal(size=(10, 3)).astype(np.float32)
Y = RNG.normal(size=(10, 2)).astype(np.float32)


class WeightLog(keras.callbacks.Callback):
    """Records the model's weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])


def regression_model(optimizer):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def sgd_reference(params, batches, lr, momentum=0.0, nesterov=False, slots=None):
    """Keras SGD on ``p = x @ W + b`` with mse; returns per-batch losses (updates in place)."""
    slots = slots if slots is not None else [np.zeros_like(p) for p in params]
    losses = []
    for x, y in batches:
        pred = x @ params[0] + params[1]
        losses.append(np.mean((pred - y) ** 2))
        d_pred = 2 * (pred - y) / pred.size
        for i, grad in enumerate([x.T @ d_pred, d_pred.sum(0)]):
            if momentum == 0:
                params[i] -= lr * grad
                continue
            slots[i] = momentum * slots[i] - lr * grad
            params[i] += momentum * slots[i] - lr * grad if nesterov else slots[i]
    return losses


def batches_of(x, y, size):
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_regression_fit_matches_numpy(momentum, nesterov):
    model = regression_model(keras.optimizers.SGD(0.05, momentum=momentum, nesterov=nesterov))
    params = [w.astype(np.float64) for w in model.get_weights()]
    log = WeightLog()
    history = model.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[log])
    slots = [np.zeros_like(p) for p in params]
    for epoch in range(3):
        losses = sgd_reference(params, batches_of(X, Y, 4), 0.05, momentum, nesterov, slots)
        for got, want in zip(log.weights[epoch], params):
            np.testing.assert_allclose(got, want, **TOL)
        # Keras' loss tracker: the batch losses weighted by batch size (4, 4, 2)
        want_loss = np.dot(losses, [4, 4, 2]) / 10
        np.testing.assert_allclose(history.history["loss"][epoch], want_loss, **TOL)
    assert history.epoch == [0, 1, 2]
    assert model.optimizer.iterations == 9


def test_sgd_train_on_batch_per_step():
    model = regression_model(keras.optimizers.SGD(0.1, momentum=0.5))
    params = [w.astype(np.float64) for w in model.get_weights()]
    slots = [np.zeros_like(p) for p in params]
    for x, y in batches_of(X, Y, 3):
        loss = model.train_on_batch(x, y)
        (want,) = sgd_reference(params, [(x, y)], 0.1, 0.5, slots=slots)
        np.testing.assert_allclose(loss, want, **TOL)
        for got, ref in zip(model.get_weights(), params):
            np.testing.assert_allclose(got, ref, **TOL)


# -- data paths ------------------------------------------------------------------------------------
def test_fit_on_generator_with_steps_per_epoch_draws_consecutive_batches():
    model = regression_model(keras.optimizers.SGD(0.1))
    params = [w.astype(np.float64) for w in model.get_weights()]
    data = batches_of(X, Y, 2)  # 5 batches

    def generator():
        yield from data

    log = WeightLog()
    history = model.fit(generator(), steps_per_epoch=2, epochs=2, verbose=0, callbacks=[log])
    losses = sgd_reference(params, data[:2], 0.1)
    np.testing.assert_allclose(log.weights[0][0], params[0], **TOL)
    losses += sgd_reference(params, data[2:4], 0.1)  # Keras keeps drawing from the generator
    for got, want in zip(log.weights[1], params):
        np.testing.assert_allclose(got, want, **TOL)
    np.testing.assert_allclose(
        history.history["loss"], [np.mean(losses[:2]), np.mean(losses[2:])], **TOL
    )


def test_fit_on_list_of_batches_repeats_it_every_epoch():
    model = regression_model(keras.optimizers.SGD(0.1))
    params = [w.astype(np.float64) for w in model.get_weights()]
    data = batches_of(X, Y, 4)
    history = model.fit(data, epochs=2, verbose=0)
    losses = sgd_reference(params, data + data, 0.1)
    for got, want in zip(model.get_weights(), params):
        np.testing.assert_allclose(got, want, **TOL)
    np.testing.assert_allclose(
        history.history["loss"][1], np.dot(losses[3:], [4, 4, 2]) / 10, **TOL
    )


def test_fit_with_sample_weights_in_generator_batches():
    model = regression_model(keras.optimizers.SGD(0.0))
    w, b = (p.astype(np.float64) for p in model.get_weights())
    sw = np.arange(1, 11, dtype=np.float32)
    history = model.fit([(X[:5], Y[:5], sw[:5]), (X[5:], Y[5:], sw[5:])], epochs=1, verbose=0)
    per_sample = np.mean((X @ w + b - Y) ** 2, axis=-1)
    want = (np.sum(sw[:5] * per_sample[:5]) + np.sum(sw[5:] * per_sample[5:])) / 10
    np.testing.assert_allclose(history.history["loss"][0], want, **TOL)


def test_steps_per_epoch_on_arrays_and_initial_epoch():
    model = regression_model(keras.optimizers.SGD(0.1))
    params = [w.astype(np.float64) for w in model.get_weights()]
    history = model.fit(
        X, Y, batch_size=2, epochs=3, initial_epoch=1, steps_per_epoch=2, shuffle=False, verbose=0
    )
    assert history.epoch == [1, 2]
    assert model.optimizer.iterations == 4
    # Keras keeps one iterator over the 5 batches: epoch 2 continues where epoch 1 stopped
    sgd_reference(params, batches_of(X, Y, 2)[:4], 0.1)
    for got, want in zip(model.get_weights(), params):
        np.testing.assert_allclose(got, want, **TOL)


# -- metrics, validation, weights --------------------------------------------------------------
XC = RNG.normal(size=(12, 4)).astype(np.float32)
LABELS = RNG.integers(0, 3, 12)


def frozen_probe(units, activation, loss, metrics, weighted_metrics=None):
    """A one-layer model that SGD(0) never changes, and its numpy forward pass."""
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(units, activation=activation)])
    model.compile(
        keras.optimizers.SGD(0.0), loss, metrics=metrics, weighted_metrics=weighted_metrics
    )
    w, b = model.get_weights()
    z = XC.astype(np.float64) @ w + b
    pred = {"softmax": lambda: softmax(z), "sigmoid": lambda: 1 / (1 + np.exp(-z))}.get(
        activation, lambda: z
    )()
    return model, pred


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def metric_case(case):
    """(model, y, {name: numpy per-sample values}) for one loss/metrics combination."""
    onehot = np.eye(3, dtype=np.float32)[LABELS]
    if case == "sparse":
        model, p = frozen_probe(
            3,
            "softmax",
            "sparse_categorical_crossentropy",
            ["accuracy", "sparse_categorical_accuracy"],
        )
        hit = np.argmax(p, -1) == LABELS
        return (
            model,
            LABELS,
            {
                "loss": -np.log(p[np.arange(12), LABELS]),
                "accuracy": hit,
                "sparse_categorical_accuracy": hit,
            },
        )
    if case == "categorical":
        model, p = frozen_probe(
            3, "softmax", "categorical_crossentropy", ["accuracy", "categorical_accuracy"]
        )
        hit = np.argmax(p, -1) == LABELS
        return (
            model,
            onehot,
            {
                "loss": -np.log(p[np.arange(12), LABELS]),
                "accuracy": hit,
                "categorical_accuracy": hit,
            },
        )
    if case == "binary":
        model, p = frozen_probe(1, "sigmoid", "binary_crossentropy", ["accuracy", "acc"])
        y = (LABELS[:, None] > 0).astype(np.float32)
        hit = ((p > 0.5) == y)[:, 0]
        bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))[:, 0]
        return model, y, {"loss": bce, "accuracy": hit, "acc": hit}
    model, p = frozen_probe(2, None, "mse", ["mae", "mse"])
    y = onehot[:, :2]
    return (
        model,
        y,
        {
            "loss": np.mean((p - y) ** 2, -1),
            "mae": np.mean(np.abs(p - y), -1),
            "mse": np.mean((p - y) ** 2, -1),
        },
    )


@pytest.mark.parametrize("case", ["sparse", "categorical", "binary", "regression"])
def test_metrics_in_history_evaluate_and_on_batch(case):
    model, y, per_sample = metric_case(case)
    want = {k: float(np.mean(v)) for k, v in per_sample.items()}
    history = model.fit(XC, y, batch_size=5, epochs=2, verbose=0)
    assert set(history.history) == set(want)
    for name, value in want.items():
        np.testing.assert_allclose(history.history[name], [value, value], **TOL)
    got = model.evaluate(XC, y, batch_size=5, verbose=0, return_dict=True)
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), **TOL)
    on_batch = model.test_on_batch(XC[:4], y[:4], return_dict=True)
    np.testing.assert_allclose(
        [on_batch[k] for k in want], [np.mean(v[:4]) for v in per_sample.values()], **TOL
    )
    scalar_or_list = model.evaluate(XC, y, verbose=0)
    np.testing.assert_allclose(scalar_or_list, [got[k] for k in got], **TOL)


def test_metrics_reset_every_epoch():
    model, p = frozen_probe(3, "softmax", "sparse_categorical_crossentropy", ["accuracy"])
    right, wrong = np.argmax(p, -1), (np.argmax(p, -1) + 1) % 3
    batches = iter([(XC[:6], right[:6]), (XC[6:], wrong[6:])])
    history = model.fit(batches, steps_per_epoch=1, epochs=2, verbose=0)
    assert history.history["accuracy"] == [1.0, 0.0]
    np.testing.assert_allclose(
        history.history["loss"],
        [
            -np.mean(np.log(p[np.arange(6), right[:6]])),
            -np.mean(np.log(p[np.arange(6, 12), wrong[6:]])),
        ],
        **TOL,
    )


def test_sample_weight_and_class_weight_scale_the_loss_not_plain_metrics():
    model, p = frozen_probe(
        3, "softmax", "sparse_categorical_crossentropy", ["accuracy"], weighted_metrics=["accuracy"]
    )
    ce, hit = -np.log(p[np.arange(12), LABELS]), np.argmax(p, -1) == LABELS
    sw = np.linspace(0.0, 2.0, 12).astype(np.float32)
    class_weight = {0: 0.5, 2: 3.0}  # class 1 is missing: weight 1, as in Keras
    cw = np.array([class_weight.get(c, 1.0) for c in LABELS])
    for kwargs, w in (({"sample_weight": sw}, sw), ({"class_weight": class_weight}, cw)):
        logs = model.fit(XC, LABELS, batch_size=12, verbose=0, **kwargs).history
        # sum_over_batch_size: sum(w * loss) / N; `metrics` unweighted, `weighted_metrics` not
        np.testing.assert_allclose(logs["loss"][0], np.sum(w * ce) / 12, **TOL)
        np.testing.assert_allclose(logs["accuracy"][0], np.mean(hit), **TOL)
        np.testing.assert_allclose(logs["weighted_accuracy"][0], np.sum(w * hit) / np.sum(w), **TOL)
        got = model.train_on_batch(
            XC[:5],
            LABELS[:5],
            return_dict=True,
            **{k: v[:5] if k == "sample_weight" else v for k, v in kwargs.items()},
        )
        np.testing.assert_allclose(got["loss"], np.sum(w[:5] * ce[:5]) / 5, **TOL)
        np.testing.assert_allclose(got["accuracy"], np.mean(hit[:5]), **TOL)  # this batch only
    np.testing.assert_allclose(
        model.evaluate(XC, LABELS, sample_weight=sw, verbose=0)[0], np.sum(sw * ce) / 12, **TOL
    )
    np.testing.assert_allclose(model.predict_on_batch(XC), p, **TOL)


def test_validation_split_takes_the_last_fraction_before_shuffling():
    model = regression_model(keras.optimizers.SGD(0.05))
    params = [w.astype(np.float64) for w in model.get_weights()]
    log = WeightLog()
    history = model.fit(
        X,
        Y,
        batch_size=3,
        epochs=2,
        validation_split=0.3,
        shuffle=False,
        verbose=0,
        callbacks=[log],
    )
    for epoch in range(2):  # trains on X[:7] in order, validates on X[7:]
        sgd_reference(params, batches_of(X[:7], Y[:7], 3), 0.05)
        np.testing.assert_allclose(log.weights[epoch][0], params[0], **TOL)
        w, b = log.weights[epoch]
        np.testing.assert_allclose(
            history.history["val_loss"][epoch], np.mean((X[7:] @ w + b - Y[7:]) ** 2), **TOL
        )
    log = WeightLog()
    history = model.fit(
        X, Y, batch_size=3, epochs=2, validation_split=0.3, verbose=0, callbacks=[log]
    )  # shuffled training: still the same validation rows
    for epoch, (w, b) in enumerate(log.weights):
        np.testing.assert_allclose(
            history.history["val_loss"][epoch], np.mean((X[7:] @ w + b - Y[7:]) ** 2), **TOL
        )


def test_validation_data_gives_val_metrics():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    log = WeightLog()
    history = model.fit(
        XC[:8],
        LABELS[:8],
        validation_data=(XC[8:], LABELS[8:]),
        epochs=2,
        batch_size=4,
        verbose=0,
        callbacks=[log],
    )
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for epoch, (w, b) in enumerate(log.weights):
        p = softmax(XC[8:] @ w + b)
        np.testing.assert_allclose(
            history.history["val_loss"][epoch], -np.mean(np.log(p[np.arange(4), LABELS[8:]])), **TOL
        )
        np.testing.assert_allclose(
            history.history["val_accuracy"][epoch], np.mean(np.argmax(p, -1) == LABELS[8:]), **TOL
        )


@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_progress_output(verbose, capsys):
    model = regression_model("sgd")
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(X, Y, epochs=2, batch_size=4, verbose=verbose, validation_split=0.2)
    out = capsys.readouterr().out
    if verbose == 0:
        assert out == ""
        return
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    for line in [line.split("\r")[-1] for line in out.splitlines() if "loss:" in line]:
        assert " - loss: " in line and " - mae: " in line and " - val_loss: " in line
        assert line.startswith("2/2") and ("━" in line) == (verbose == 1)
    assert len([line for line in out.splitlines() if "loss:" in line]) == 2


def test_fit_on_outputs_with_an_unknown_time_length():
    """Sequence tagging over a None time length: targets of any length fit (Keras accepts
    them), the reported loss is the numpy MSE of the predictions, a wrong feature size fails."""
    inputs = keras.Input((None, 4))
    outputs = layers.Dense(1)(layers.LSTM(8, return_sequences=True)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    rng = np.random.default_rng(0)
    for steps in (6, 3):
        x = rng.normal(size=(8, steps, 4)).astype("float32")
        y = x.sum(-1, keepdims=True)
        expected = np.mean((model.predict(x, verbose=0) - y) ** 2)
        loss = model.fit(x, y, batch_size=8, verbose=0).history["loss"][0]
        np.testing.assert_allclose(loss, expected, rtol=1e-5)
    with pytest.raises(ValueError, match=r"must have shape \(None, None, 1\)"):
        model.fit(x, np.repeat(y, 2, axis=-1), verbose=0)
