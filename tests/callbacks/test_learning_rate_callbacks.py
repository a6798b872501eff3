"""ReduceLROnPlateau and LearningRateScheduler change the rate the next step uses (no
recompile) and log ``learning_rate`` into History; the weights after training match a float64
full-batch SGD run with the expected rate sequence."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from tests.callbacks.helpers import ScriptedModel, X, Y, drive, regression_model, sgd_epoch


def fit_and_check(callback, rates, lr=0.05):
    """Fits len(rates) full-batch epochs; History's rates and the final weights must follow
    ``rates`` (the rate in force during each epoch)."""
    model = regression_model(lr)
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    history = model.fit(X, Y, batch_size=len(X), epochs=len(rates), verbose=0,
                        shuffle=False, callbacks=[callback])  # fmt: skip
    np.testing.assert_allclose(history.history["learning_rate"], rates, rtol=1e-6)
    for rate in rates:
        kernel, bias = sgd_epoch(kernel, bias, rate)
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], bias, rtol=1e-4, atol=1e-6)
    return model


def test_reduce_lr_on_plateau_in_fit():
    """min_delta=100: no epoch counts as an improvement, so the rate halves every time the
    patience (1) runs out, and cooldown=2 skips two epochs after each cut."""
    callback = keras.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.5, patience=1, min_delta=100, cooldown=2, min_lr=0.01
    )
    model = fit_and_check(callback, [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.01])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_reduce_lr_verbose_message(capsys):
    callback = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=0, verbose=1)
    drive(callback, ScriptedModel(0.1), [1.0, 2.0])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05." in capsys.readouterr().out


@pytest.mark.parametrize(
    "kwargs, sequence, rates",
    [
        (dict(patience=1), [3, 3, 3, 3], [0.1, 0.1, 0.01, 0.001]),
        (dict(patience=0, min_lr=0.05), [3, 4, 5, 6], [0.1, 0.1, 0.05, 0.05]),
        (dict(patience=0, mode="max"), [3, 2, 4, 1], [0.1, 0.1, 0.01, 0.01]),
        (dict(patience=0, min_delta=0.5), [3, 2.8, 2, 1.9], [0.1, 0.1, 0.01, 0.01]),
    ],
)
def test_reduce_lr_scripted(kwargs, sequence, rates):
    model = ScriptedModel(0.1)
    callback = keras.callbacks.ReduceLROnPlateau(**kwargs)
    callback.set_model(model)
    callback.on_train_begin({})
    seen = []
    for epoch, value in enumerate(sequence):
        logs = {"val_loss": value}
        callback.on_epoch_end(epoch, logs)
        seen.append(logs["learning_rate"])
    np.testing.assert_allclose(seen, rates)


def test_reduce_lr_rejects_factor_one():
    with pytest.raises(ValueError, match=r"factor >= 1.0. Received factor=1.0"):
        keras.callbacks.ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler_two_and_one_argument_schedules(capsys):
    fit_and_check(
        keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr),
        [0.05, 0.025, 0.0125],
    )
    fit_and_check(
        keras.callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1), verbose=1),
        [0.01, 0.02, 0.03],
    )
    assert (
        "Epoch 3: LearningRateScheduler setting learning rate to 0.03." in capsys.readouterr().out
    )


def test_learning_rate_scheduler_needs_a_float():
    model = regression_model()
    callback = keras.callbacks.LearningRateScheduler(lambda epoch: "fast")
    with pytest.raises(ValueError, match=r"should be a float. Got: fast"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[callback])
