"""ModelCheckpoint: file names from the logs, which epochs/batches save, the ONNX graph it
writes (run in onnxruntime against what the model predicted at that moment), its errors and
messages. Atomic writes under a kill are in ``test_checkpoint_atomic.py``."""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest

import kgraph as keras
from tests.callbacks.helpers import ScriptedModel, X, Y, regression_model


class BytesModel(ScriptedModel):
    """A scripted model whose "ONNX graph" names the epoch it was saved at."""

    def to_onnx_bytes(self):
        return f"epoch {int(self.weights[0][0])}".encode()


def run_scripted(callback, sequence, monitor="val_loss"):
    model = BytesModel()
    callback.set_model(model)
    callback.on_train_begin({})
    for epoch, value in enumerate(sequence):
        model.set_epoch(epoch)
        callback.on_epoch_begin(epoch, {})
        callback.on_epoch_end(epoch, {monitor: value, "loss": value})
    callback.on_train_end({})


def saved(folder) -> dict[str, str]:
    return {name: open(os.path.join(folder, name)).read() for name in sorted(os.listdir(folder))}


def onnx_predict(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def test_every_epoch_named_from_the_logs_and_loadable(tmp_path):
    model = regression_model()
    predictions = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: predictions.append(model.predict(X, verbose=0))
    )
    pattern = str(tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.3f}.onnx")
    history = model.fit(X, Y, batch_size=4, epochs=3, verbose=0, validation_data=(X, Y),
                        callbacks=[keras.callbacks.ModelCheckpoint(pattern), record])  # fmt: skip
    expected = [f"m-{e + 1:02d}-{v:.3f}.onnx" for e, v in enumerate(history.history["val_loss"])]
    assert sorted(os.listdir(tmp_path / "ckpt")) == expected
    for name, want in zip(expected, predictions):
        got = onnx_predict(str(tmp_path / "ckpt" / name), X)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, sequence, files",
    [
        (dict(save_best_only=True), [3, 2, 2.5, 1], {"best.onnx": "epoch 3"}),
        (dict(save_best_only=True, mode="max"), [3, 2, 4, 1], {"best.onnx": "epoch 2"}),
        (
            dict(save_best_only=True, initial_value_threshold=2.5),
            [3, 2.7, 2.6, 2.8],
            {},
        ),
        (
            dict(save_best_only=True, initial_value_threshold=2.5),
            [3, 2, 4],
            {"best.onnx": "epoch 1"},
        ),
    ],
)
def test_save_best_only_keeps_the_best_epoch(tmp_path, kwargs, sequence, files):
    run_scripted(keras.callbacks.ModelCheckpoint(str(tmp_path / "best.onnx"), **kwargs), sequence)
    assert saved(tmp_path) == files


def test_epoch_in_the_name_gives_one_file_per_improvement(tmp_path):
    callback = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "e{epoch}-{loss:.1f}.onnx"), monitor="loss", save_best_only=True
    )
    run_scripted(callback, [3, 2, 2.5, 1])
    assert saved(tmp_path) == {
        "e1-3.0.onnx": "epoch 0",
        "e2-2.0.onnx": "epoch 1",
        "e4-1.0.onnx": "epoch 3",
    }


def test_save_freq_counts_batches_across_epochs(tmp_path):
    """16 samples in batches of 4: 4 batches an epoch; every 3rd batch over 2 epochs is the 3rd
    of epoch 1 and the 2nd of epoch 2 (both 1-based in the name)."""
    model = regression_model()
    callback = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "e{epoch}-b{batch}.onnx"), save_freq=3, monitor="loss"
    )
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False, callbacks=[callback])
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.onnx", "e2-b2.onnx"]


def test_verbose_messages(tmp_path, capsys):
    path = str(tmp_path / "best.onnx")
    run_scripted(keras.callbacks.ModelCheckpoint(path, save_best_only=True, verbose=1), [3, 4])
    out = capsys.readouterr().out
    assert f"Epoch 1: val_loss improved from None to 3.00000, saving model to {path}" in out
    assert f"Epoch 1: finished saving model to {path}" in out
    assert "Epoch 2: val_loss did not improve from 3.00000" in out
    run_scripted(keras.callbacks.ModelCheckpoint(path, verbose=1), [3])
    assert f"Epoch 1: saving model to {path}" in capsys.readouterr().out


def test_missing_monitor_warns_and_saves(tmp_path):
    callback = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "m.onnx"), monitor="val_acc", save_best_only=True, mode="max"
    )
    with pytest.warns(UserWarning, match="Can save best model only with val_acc available"):
        run_scripted(callback, [1.0])
    assert saved(tmp_path) == {"m.onnx": "epoch 0"}


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(filepath="m.keras", save_weights_only=True), "must end in `.weights.h5`"),
        (dict(filepath="m.txt"), r"must end in `\.keras`.*filepath=m\.txt"),
        (dict(filepath="legacy.hdf5"), r"must end in `\.keras`.*filepath=legacy\.hdf5"),
        (dict(filepath="m.keras", save_freq="batch"), "Unrecognized save_freq: batch"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.callbacks.ModelCheckpoint(**kwargs)


def test_unknown_log_key_in_the_name(tmp_path):
    callback = keras.callbacks.ModelCheckpoint(str(tmp_path / "{val_auc}.onnx"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        run_scripted(callback, [1.0])


def test_a_directory_as_filepath_is_refused(tmp_path):
    (tmp_path / "d.onnx").mkdir()
    with pytest.raises(OSError, match="non-directory filepath"):
        run_scripted(keras.callbacks.ModelCheckpoint(str(tmp_path / "d.onnx")), [1.0])


def test_keras_and_weights_files(tmp_path):
    """``.keras`` (model.save) reloads as a whole model; ``.weights.h5`` (save_weights, with or
    without save_weights_only) loads into a fresh model; both predict as the model did."""
    model = regression_model()
    callbacks = [
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras")),
        keras.callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True),
        keras.callbacks.ModelCheckpoint(str(tmp_path / "v.weights.h5")),
    ]
    model.fit(X, Y, epochs=2, verbose=0, callbacks=callbacks)
    want = model.predict(X, verbose=0)
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), want, rtol=1e-6)
    for name in ("w.weights.h5", "v.weights.h5"):
        fresh = regression_model()
        fresh.load_weights(tmp_path / name)
        np.testing.assert_allclose(fresh.predict(X, verbose=0), want, rtol=1e-6)
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "v.weights.h5", "w.weights.h5"]
