"""A process killed while ModelCheckpoint saves leaves the previous checkpoint intact and
loadable: a subprocess trains with a checkpoint, then blocks inside its second save and is
killed there. For ``.keras`` it blocks between two members of the zip being written; for
``.onnx`` with the temporary file torn in half before its rename."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import kgraph as keras
from tests.callbacks.helpers import X

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, time, zipfile
    import numpy as np
    import kgraph as keras
    from tests.callbacks.helpers import X, Y, regression_model

    target, predictions = sys.argv[1], sys.argv[2]
    model = regression_model()
    callback = keras.callbacks.ModelCheckpoint(target, monitor="loss")
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[callback])
    np.save(predictions, model.predict(X, verbose=0))

    def hang():
        print("SAVING", flush=True)
        time.sleep(60)

    if target.endswith(".onnx"):
        def stall(fd):  # the temporary file is written: tear it, then hang before the rename
            os.ftruncate(fd, os.fstat(fd).st_size // 2)
            hang()
        os.fsync = stall
    else:
        real_writestr = zipfile.ZipFile.writestr
        def stall(self, *args, **kwargs):  # hang after the zip's first member
            real_writestr(self, *args, **kwargs)
            hang()
        zipfile.ZipFile.writestr = stall
    model.set_weights([w + 1.0 for w in model.get_weights()])
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[callback])
    """
)


def predict_file(path: Path, x):
    if path.suffix == ".onnx":
        import onnxruntime as ort

        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: x})[0]
    return keras.models.load_model(path).predict(x, verbose=0)


@pytest.mark.parametrize("name", ["model.onnx", "model.keras"])
def test_kill_during_a_save_keeps_the_previous_checkpoint(tmp_path, name):
    target, predictions = tmp_path / name, tmp_path / "first.npy"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(target), str(predictions)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.strip() == "SAVING", proc.stderr.read()
        assert any(".tmp" in p for p in os.listdir(tmp_path))  # the save is under way
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    np.testing.assert_allclose(predict_file(target, X), np.load(predictions), rtol=1e-6)

    # The next save (another process) replaces the file.
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    callback = keras.callbacks.ModelCheckpoint(str(target))
    callback.set_model(model)
    callback.on_epoch_end(0, {"val_loss": 1.0})
    want = model.predict(X, verbose=0)
    np.testing.assert_allclose(predict_file(target, X), want, rtol=1e-5, atol=1e-6)
