"""The seed note's §5 (callbacks), verbatim but for ``import kgraph as keras``: first exactly as
written, then with ReduceLROnPlateau and TensorBoard added and validation data given, so that
all four callbacks act in one ``fit``."""

from __future__ import annotations

import os

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(3)
x_train = RNG.normal(size=(32, 4)).astype(np.float32)
y_train = (x_train @ RNG.normal(size=(4, 1)) + 0.1).astype(np.float32)
x_val = RNG.normal(size=(16, 4)).astype(np.float32)
y_val = (x_val @ RNG.normal(size=(4, 1))).astype(np.float32)  # another rule: val_loss stalls


def small_model():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1)])  # fmt: skip
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


def test_section_5_verbatim(tmp_path, monkeypatch):
    """No validation data in the snippet's fit: both callbacks warn that val_loss is missing,
    EarlyStopping never stops and ModelCheckpoint saves every epoch, as Keras does."""
    monkeypatch.chdir(tmp_path)
    model = small_model()
    # fmt: off
    # --- §5, verbatim ---------------------------------------------------------------------
    callbacks_list = [
        # stop if val_loss has not decreased for 2 epochs in a row
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=2),

        # keep the best model
        keras.callbacks.ModelCheckpoint(
            filepath="best_model.keras",
            save_best_only=True,
            monitor="val_loss"
        )
    ]

    with pytest.warns(UserWarning, match="val_loss"):  # (the test's only addition)
        model.fit(x_train, y_train, epochs=100, callbacks=callbacks_list)
    # ---------------------------------------------------------------------------------------
    # fmt: on
    assert len(model.history.epoch) == 100
    loaded = keras.models.load_model("best_model.keras")
    np.testing.assert_allclose(
        loaded.predict(x_val, verbose=0), model.predict(x_val, verbose=0), rtol=1e-5, atol=1e-6
    )  # saved after the last epoch


def test_section_5_with_all_four_callbacks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = small_model()
    at_epoch_end = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: at_epoch_end.append(model.predict(x_val, verbose=0))
    )
    callbacks_list = [
        record,
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=2),
        keras.callbacks.ModelCheckpoint(
            filepath="best_model.keras", save_best_only=True, monitor="val_loss"
        ),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        keras.callbacks.TensorBoard(log_dir="logs"),
    ]
    history = model.fit(x_train, y_train, epochs=100, validation_data=(x_val, y_val),
                        callbacks=callbacks_list, verbose=0)  # fmt: skip
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    # EarlyStopping: two epochs without a new best after the best one, then stop.
    assert len(val_loss) == best + 3 < 100
    # ModelCheckpoint: the file holds the best epoch's model.
    loaded = keras.models.load_model("best_model.keras")
    np.testing.assert_allclose(
        loaded.predict(x_val, verbose=0), at_epoch_end[best], rtol=1e-5, atol=1e-6
    )
    # ReduceLROnPlateau: halved after the first epoch without improvement (min_delta 1e-4).
    rates = history.history["learning_rate"]
    assert rates[0] == pytest.approx(0.05) and rates[-1] < 0.05
    # TensorBoard: event files for both runs.
    assert os.listdir("logs/train") and os.listdir("logs/validation")
