"""Small Keras behaviours ported code relies on: training=True on numpy calls, a missing
trailing channel axis, the single-epoch progress line, ``logs`` dicts in begin hooks, and clear
errors for what kgraph does not do (LoRA, validation_split on a dataset)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(2)


def test_calling_a_model_with_training_true_runs_the_training_behaviour():
    x = RNG.normal(3.0, 2.0, size=(64, 6)).astype(np.float32)
    norm = keras.Sequential([keras.Input((6,)), layers.BatchNormalization(momentum=0.5)])
    out = norm(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-4)  # batch statistics
    np.testing.assert_allclose(out.std(axis=0), 1.0, atol=1e-2)
    moving_mean = norm.layers[0].get_weights()[2]
    np.testing.assert_allclose(moving_mean, 0.5 * x.mean(axis=0), rtol=1e-4)  # updated
    inference = norm(x)  # training defaults to False: moving statistics
    assert not np.allclose(inference, out)
    drop = keras.Sequential([keras.Input((6,)), layers.Dropout(0.5)])
    ones = np.ones((8, 6), np.float32)
    assert (drop(ones, training=True) == 0).any() and (drop(ones) == 1).all()


def test_a_missing_trailing_channel_axis_is_added():
    model = keras.Sequential([keras.Input((5, 5, 1)), layers.Flatten(), layers.Dense(2)])
    x = RNG.standard_normal((3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x[..., None], verbose=0))
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((3, 2), np.float32), verbose=0)


def test_one_epoch_prints_no_epoch_header_and_begin_hooks_get_dicts(capsys):
    seen = []

    class Hooks(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(logs.get("loss", "none"))

        def on_epoch_begin(self, epoch, logs=None):
            seen.append(logs.get("loss", "none"))

        def on_train_batch_begin(self, batch, logs=None):
            seen.append(logs.get("loss", "none"))

    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), batch_size=4, verbose=2, callbacks=[Hooks()])
    out = capsys.readouterr().out
    assert "Epoch" not in out and out.startswith("1/1 - ")
    assert seen == ["none"] * 3


def test_unsupported_options_fail_clearly():
    with pytest.raises(ValueError, match=r"Dense in kgraph does not support lora_rank"):
        layers.Dense(2, lora_rank=2)
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    batches = [(np.ones((4, 2)), np.ones((4, 1)))]
    with pytest.raises(ValueError, match="validation_split is only supported for numpy arrays"):
        model.fit(batches, validation_split=0.5, verbose=0)


def test_small_keras_conveniences():
    labels = np.array([0, 2, 1, 2])
    np.testing.assert_array_equal(keras.utils.to_categorical(labels), np.eye(3)[labels])
    assert keras.utils.to_categorical(labels[:, None], 4).shape == (4, 4)
    with pytest.raises(ValueError, match="Labels must be in"):
        keras.utils.to_categorical([3], num_classes=2)
    x = keras.Input((4,), name="x")
    model = keras.Model(x, [layers.Dense(3, name="c")(x), layers.Dense(1, name="r")(x)])
    assert model.input_shape == (None, 4) and model.output_shape == [(None, 3), (None, 1)]
    assert model.trainable_variables == model.trainable_weights and len(model.variables) == 4
    assert model.metrics_names == []
    model.compile("sgd", ["mse", "mse"], metrics=[["mae"], []])
    assert model.metrics_names == ["loss", "mae", "c_loss", "r_loss"]


def test_a_sequential_without_input_compiles_and_fit_builds_it():
    start = []

    class Start(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            start.extend(w.astype(np.float64) for w in self.model.get_weights())

    model = keras.Sequential([layers.Dense(1, name="d")])
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])  # not built yet
    x = RNG.standard_normal((8, 3)).astype(np.float32)
    y = RNG.standard_normal((8, 1)).astype(np.float32)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[Start()])
    kernel, bias = start  # built by fit from x: (3, 1) and (1,)
    grad = 2 * (x @ kernel + bias - y) / len(x)
    np.testing.assert_allclose(model.get_weights()[0], kernel - 0.1 * x.T @ grad, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], bias - 0.1 * grad.sum(0), rtol=1e-5)
    _, mae = model.evaluate(x, y, verbose=0)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(mae, np.abs(x @ kernel + bias - y).mean(), rtol=1e-5)
