"""Shared pieces of the callback tests: a tiny regression model, its data, a float64 SGD
reference, and a stand-in model for callbacks driven with scripted logs."""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(5)
X = RNG.normal(size=(16, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype(np.float32)


def regression_model(lr=0.05, optimizer=None):
    """Dense(1) on 3 features, SGD on mse."""
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    model.compile(optimizer=optimizer or keras.optimizers.SGD(lr), loss="mse", metrics=["mae"])
    return model


def sgd_epoch(kernel, bias, lr, x=X, y=Y):
    """One full-batch float64 SGD step on mse for ``x @ kernel + bias``."""
    grad = 2 * (x @ kernel + bias - y) / y.size
    return kernel - lr * x.T @ grad, bias - lr * grad.sum(0)


class ScriptedOptimizer:
    """Just a learning rate, as the LR callbacks read and assign it."""

    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate
        self.iterations = 0


class ScriptedModel:
    """What the monitoring callbacks touch: weights, ``stop_training``, the optimizer.

    ``set_epoch(e)`` makes the weights identify epoch ``e``, so restored weights name the epoch
    they came from.
    """

    output_names = ("output",)

    def __init__(self, learning_rate=0.1):
        self.weights = [np.zeros(2, np.float32)]
        self.stop_training = False
        self.optimizer = ScriptedOptimizer(learning_rate)

    def set_epoch(self, epoch):
        self.weights = [np.full(2, epoch, np.float32)]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.asarray(w).copy() for w in weights]


def drive(callback, model, sequence, monitor="val_loss"):
    """Feeds ``sequence`` to ``callback`` epoch by epoch as ``fit`` would; returns the number of
    epochs run (training stops when ``model.stop_training`` is set)."""
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin({})
    ran = 0
    for epoch, value in enumerate(sequence):
        model.set_epoch(epoch)
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, {monitor: value, "loss": value})
        ran += 1
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran
