"""Callbacks see and change the live weights during ``fit`` (the engine's state is pulled when a
variable is read and pushed after a write), and ``evaluate`` reports progress and runs the
``on_test_*`` hooks, also for ``fit``'s validation, as Keras does."""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(11)
X = RNG.normal(size=(12, 3)).astype(np.float32)
Y = RNG.normal(size=(12, 2)).astype(np.float32)
LR = 0.1


def regression_model(lr=LR):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    return model


def sgd_step(kernel, bias, x, y, lr=LR):
    """One float64 SGD step on mse for ``x @ kernel + bias``."""
    grad = 2 * (x @ kernel + bias - y) / y.size
    return kernel - lr * x.T @ grad, bias - lr * grad.sum(0)


class Recorder(keras.callbacks.Callback):
    def __init__(self, edit=None):
        super().__init__()
        self.kernels, self.edit, self.hooks = [], edit, []

    def on_train_batch_end(self, batch, logs=None):
        self.kernels.append(self.model.get_weights()[0].copy())
        if self.edit is not None:
            self.edit(self.model, batch)

    def on_test_begin(self, logs=None):
        self.hooks.append("test_begin")

    def on_test_batch_end(self, batch, logs=None):
        self.hooks.append(f"test_batch_{batch}:{sorted(logs)}")

    def on_test_end(self, logs=None):
        self.hooks.append(f"test_end:{sorted(logs)}")


def test_weights_read_in_a_batch_callback_are_the_live_ones():
    model = regression_model()
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    recorder = Recorder()
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
    for step, got in enumerate(recorder.kernels):
        kernel, bias = sgd_step(
            kernel, bias, X[4 * step : 4 * step + 4], Y[4 * step : 4 * step + 4]
        )
        np.testing.assert_allclose(got, kernel, rtol=1e-5, atol=1e-6)


def test_weights_written_in_a_batch_callback_feed_the_next_step():
    zero = [np.zeros((3, 2), np.float32), np.zeros(2, np.float32)]

    def reset_after_first_batch(model, batch):
        if batch == 0:
            model.set_weights(zero)

    model = regression_model()
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0,
              callbacks=[Recorder(reset_after_first_batch)])  # fmt: skip
    kernel, bias = np.zeros((3, 2)), np.zeros(2)
    for step in (1, 2):
        kernel, bias = sgd_step(
            kernel, bias, X[4 * step : 4 * step + 4], Y[4 * step : 4 * step + 4]
        )
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], bias, rtol=1e-5, atol=1e-6)


def test_weights_written_at_epoch_begin_are_kept():
    class Zero(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])

    model = regression_model(lr=0.0)
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[Zero()])
    assert all(not w.any() for w in model.get_weights())


def test_evaluate_runs_test_hooks_and_prints_progress(capsys):
    model = regression_model()
    recorder = Recorder()
    loss = model.evaluate(X, Y, batch_size=5, verbose=1, callbacks=[recorder])
    out = capsys.readouterr().out
    assert out.startswith("3/3 ") and f"loss: {loss:.4f}" in out
    assert recorder.hooks == [
        "test_begin",
        "test_batch_0:['loss']",
        "test_batch_1:['loss']",
        "test_batch_2:['loss']",
        "test_end:['loss']",
    ]
    model.evaluate(X, Y, verbose=2)
    line = capsys.readouterr().out
    assert line.startswith("1/1 - ") and line.count("\n") == 1
    model.evaluate(X, Y, verbose=0)
    assert capsys.readouterr().out == ""


def test_fit_validation_runs_the_test_hooks():
    recorder = Recorder()
    regression_model().fit(
        X, Y, epochs=2, batch_size=6, validation_split=0.5, verbose=0, callbacks=[recorder]
    )
    assert recorder.hooks.count("test_begin") == 2
    assert recorder.hooks.count("test_end:['loss']") == 2
