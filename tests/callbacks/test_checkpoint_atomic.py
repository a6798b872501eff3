"""A process killed while ModelCheckpoint saves leaves the previous checkpoint intact and
loadable: a subprocess trains with a checkpoint, then blocks inside its second save (the
temporary file half written, before the rename) and is killed there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnxruntime as ort

import kgraph as keras
from tests.callbacks.helpers import X

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    import kgraph as keras
    from tests.callbacks.helpers import X, Y, regression_model

    target, predictions = sys.argv[1], sys.argv[2]
    model = regression_model()
    callback = keras.callbacks.ModelCheckpoint(target, monitor="loss")
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[callback])
    np.save(predictions, model.predict(X, verbose=0))

    real_fsync = os.fsync

    def stall(fd):
        # The temporary file is written; tear it in half, say so, and wait to be killed.
        size = os.fstat(fd).st_size
        os.ftruncate(fd, size // 2)
        print("SAVING", flush=True)
        time.sleep(60)
        real_fsync(fd)

    os.fsync = stall
    model.set_weights([w + 1.0 for w in model.get_weights()])
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[callback])
    """
)


def test_kill_during_a_save_keeps_the_previous_checkpoint(tmp_path):
    target, predictions = tmp_path / "model.onnx", tmp_path / "first.npy"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(target), str(predictions)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.strip() == "SAVING", proc.stderr.read()
        leftovers = [p for p in os.listdir(tmp_path) if ".tmp" in p]
        assert len(leftovers) == 1  # the torn temporary file exists while the save hangs
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: X})[0]
    np.testing.assert_allclose(got, np.load(predictions), rtol=1e-6)

    # The next save (another process: another temporary name) replaces the file and clears
    # the killed process' leftover.
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    callback = keras.callbacks.ModelCheckpoint(str(target))
    callback.set_model(model)
    callback.on_epoch_end(0, {"val_loss": 1.0})
    assert sorted(os.listdir(tmp_path)) == ["first.npy", "model.onnx"]
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: X})[0]
    np.testing.assert_allclose(got, model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
