"""Oracle: the monitoring callbacks behave as real Keras 3's (JAX backend) on the same scripted
log sequences: EarlyStopping's stop epoch and restored weights, ReduceLROnPlateau's
learning-rate sequence, ModelCheckpoint's file set and which epoch each file holds.

Both libraries get the same small compiled model; before each epoch's ``on_epoch_end`` its
weights are set to values that name the epoch, so restored or saved weights tell which epoch
they came from.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(2024)
SEQUENCES = [
    [3.0, 2.0, 2.5, 2.6, 1.0, 1.2, 1.3, 1.4],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    [5.0, 4.0, 3.0, 2.0, 1.0, 0.5],
    [1.0, 2.0, 3.0, 2.0, 1.5, 1.49995, 4.0],
    *[np.round(RNG.uniform(0, 2, size=9), 3).tolist() for _ in range(4)],
]


def make_model(lib):
    model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1)])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model


def epoch_weights(epoch):
    return [np.full((2, 1), epoch, np.float32), np.full((1,), epoch, np.float32)]


def drive(lib, callback, sequence, monitor="val_loss"):
    """Runs the callback over ``sequence`` as fit would; returns (epochs run, lr after each
    epoch's logs, final weight id)."""
    model = make_model(lib)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin({})
    ran, rates = 0, []
    for epoch, value in enumerate(sequence):
        model.set_weights(epoch_weights(epoch))
        callback.on_epoch_begin(epoch, {})
        logs = {monitor: float(value), "loss": float(value) * 2}
        callback.on_epoch_end(epoch, logs)
        rates.append(logs.get("learning_rate"))
        ran += 1
        if model.stop_training:
            break
    callback.on_train_end({})
    return ran, rates, float(np.asarray(model.get_weights()[1])[0])


EARLY_STOPPING = [
    dict(patience=0),
    dict(patience=2),
    dict(patience=2, restore_best_weights=True),
    dict(patience=1, min_delta=0.3, restore_best_weights=True),
    dict(patience=2, mode="max", restore_best_weights=True),
    dict(patience=3, baseline=1.2, restore_best_weights=True),
    dict(patience=1, baseline=0.1),
    dict(patience=1, start_from_epoch=3, restore_best_weights=True),
    dict(patience=2, monitor="loss", restore_best_weights=True),
]


@pytest.mark.parametrize(
    "kwargs, sequence", list(itertools.product(EARLY_STOPPING, SEQUENCES)), ids=str
)
def test_early_stopping_matches_keras(kwargs, sequence):
    monitor = kwargs.get("monitor", "val_loss")
    results = []
    for lib in (keras, kgraph):
        callback = lib.callbacks.EarlyStopping(**kwargs)
        ran, _, weight_id = drive(lib, callback, sequence, monitor)
        results.append((ran, callback.stopped_epoch, callback.best_epoch, weight_id))
    assert results[1] == results[0]


REDUCE_LR = [
    dict(patience=0),
    dict(patience=1, factor=0.5),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(patience=0, factor=0.2, min_lr=0.01),
    dict(patience=1, mode="max", factor=0.5),
    dict(patience=0, min_delta=0.3, factor=0.5),
]


@pytest.mark.parametrize("kwargs, sequence", list(itertools.product(REDUCE_LR, SEQUENCES)), ids=str)
def test_reduce_lr_on_plateau_matches_keras(kwargs, sequence):
    rates = []
    for lib in (keras, kgraph):
        callback = lib.callbacks.ReduceLROnPlateau(**kwargs)
        _, seen, _ = drive(lib, callback, sequence)
        rates.append(seen)
    np.testing.assert_allclose(rates[1], rates[0], rtol=1e-6)


CHECKPOINTS = [
    ("w.weights.h5", dict(save_best_only=True)),
    ("w.weights.h5", dict(save_best_only=True, mode="max")),
    ("w.weights.h5", dict(save_best_only=True, initial_value_threshold=1.0)),
    ("w-{epoch:02d}.weights.h5", dict()),
    ("w-{epoch:02d}-{val_loss:.2f}.weights.h5", dict(save_best_only=True)),
    ("m-{epoch}.keras", dict(save_best_only=True, monitor="loss")),
]


def saved_epochs(lib, folder) -> dict[str, float]:
    """Each saved file and the epoch its weights came from."""
    found = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".keras"):
            model = lib.saving.load_model(path)
        else:
            model = make_model(lib)
            model.load_weights(path)
        found[name] = float(np.asarray(model.get_weights()[1])[0])
    return found


@pytest.mark.parametrize(
    "pattern, kwargs, sequence",
    [(*c, s) for c, s in itertools.product(CHECKPOINTS, SEQUENCES[:5])],
    ids=str,
)
def test_model_checkpoint_file_set_matches_keras(tmp_path, pattern, kwargs, sequence):
    files = []
    for lib in (keras, kgraph):
        folder = tmp_path / lib.__name__
        folder.mkdir()
        weights_only = pattern.endswith(".weights.h5")
        callback = lib.callbacks.ModelCheckpoint(
            str(folder / pattern), save_weights_only=weights_only, **kwargs
        )
        drive(lib, callback, sequence, kwargs.get("monitor", "val_loss"))
        files.append(saved_epochs(lib, folder))
    assert files[1] == files[0]
