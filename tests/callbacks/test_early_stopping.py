"""EarlyStopping: Keras' counting rules on scripted sequences (the expected stop epochs and
restored weights are worked out by hand here; the oracle group compares with Keras itself),
then in a real ``fit``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from tests.callbacks.helpers import ScriptedModel, X, Y, drive, regression_model

CASES = [
    # (kwargs, sequence, epochs run, best epoch restored)
    (dict(patience=0), [3, 2, 2.5, 1], 3, None),
    (dict(patience=2), [3, 2, 2.5, 2.1, 1], 4, None),
    (dict(patience=2, restore_best_weights=True), [3, 2, 2.5, 2.1, 1], 4, 1),
    (dict(patience=1, min_delta=0.5), [3, 2.8, 2.7, 1], 2, None),
    (dict(patience=1, mode="max"), [1, 2, 1.5, 3], 3, None),
    (dict(patience=2, baseline=1.0), [3, 2, 2.5, 0.5], 3, None),
    (dict(patience=3, baseline=1.0, restore_best_weights=True), [3, 2, 2.5, 2.6], 3, 1),
    (dict(patience=0, start_from_epoch=2), [3, 4, 5, 6, 5.5], 4, None),
    (dict(patience=1, monitor="val_accuracy"), [0.5, 0.6, 0.55, 0.5], 3, None),
]


@pytest.mark.parametrize("kwargs, sequence, ran, best", CASES)
def test_scripted_stop_epoch_and_restored_weights(kwargs, sequence, ran, best):
    monitor = kwargs.get("monitor", "val_loss")
    callback = keras.callbacks.EarlyStopping(**kwargs)
    model = ScriptedModel()
    assert drive(callback, model, sequence, monitor) == ran
    stopped = ran < len(sequence)
    assert callback.stopped_epoch == (ran - 1 if stopped else 0)
    if best is not None:
        np.testing.assert_array_equal(model.get_weights()[0], [best, best])
        assert callback.best_epoch == best


def test_missing_monitor_warns_and_never_stops():
    callback = keras.callbacks.EarlyStopping(monitor="val_nope", patience=0, mode="min")
    with pytest.warns(UserWarning, match="val_nope.*Available metrics are: val_loss,loss"):
        assert drive(callback, ScriptedModel(), [3, 4, 5]) == 3


def test_unknown_mode_warns_and_auto_needs_a_known_metric():
    with pytest.warns(UserWarning, match=r"mode .up. is unknown"):
        callback = keras.callbacks.EarlyStopping(monitor="val_thing", mode="up")
    with pytest.raises(ValueError, match=r"monitor=val_thing.*mode='max'"):
        drive(callback, ScriptedModel(), [1.0])


def test_fit_stops_and_restores_the_best_epoch(capsys):
    """A learning rate that makes SGD diverge: val_loss only grows after the first epoch, so
    training stops after ``patience`` more epochs and the first epoch's weights come back."""
    model = regression_model(lr=0.9)
    snapshots = []
    keep = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
    )
    stop = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    history = model.fit(X, Y, batch_size=16, epochs=20, verbose=0, validation_data=(X, Y),
                        callbacks=[keep, stop])  # fmt: skip
    losses = history.history["val_loss"]
    best = int(np.argmin(losses))
    assert len(losses) == best + 3 < 20
    for got, want in zip(model.get_weights(), snapshots[best]):
        np.testing.assert_array_equal(got, want)
    out = capsys.readouterr().out
    assert f"Epoch {best + 3}: early stopping" in out
    assert f"Restoring model weights from the end of the best epoch: {best + 1}." in out
