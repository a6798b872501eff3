"""BackupAndRestore: a training process killed mid-epoch resumes from its backup (weights and
Adam's state, at the epoch after the last one backed up), and the resumed run's losses are those
of an uninterrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import kgraph as keras
from tests.callbacks import backup_run
from tests.callbacks.helpers import ScriptedModel, regression_model

ROOT = Path(__file__).resolve().parents[2]


def run(backup_dir, log_path, kill_epoch):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tests.callbacks.backup_run", str(backup_dir), str(log_path),
         str(kill_epoch)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def read_log(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_killed_run_resumes_with_the_uninterrupted_trajectory(tmp_path):
    backup_dir = tmp_path / "backup"
    backup_run.main(backup_dir, tmp_path / "reference.jsonl", -1)  # uninterrupted, here
    reference = read_log(tmp_path / "reference.jsonl")
    assert [e for e, _ in reference] == list(range(backup_run.EPOCHS))
    assert not backup_dir.exists()  # deleted after a normal end

    killed = run(backup_dir, tmp_path / "resumed.jsonl", 3)
    assert killed.returncode == -9  # SIGKILL in epoch 3 (0-based)
    metadata = json.loads((backup_dir / "training_metadata.json").read_text())
    assert metadata == {"epoch": 3, "batch": 0}
    resumed = run(backup_dir, tmp_path / "resumed.jsonl", -1)
    assert resumed.returncode == 0, resumed.stderr
    log = read_log(tmp_path / "resumed.jsonl")
    assert [e for e, _ in log] == list(range(backup_run.EPOCHS))  # 0-2 before the kill, 3-5 after
    np.testing.assert_allclose([v for _, v in log], [v for _, v in reference], rtol=1e-6)
    assert not backup_dir.exists()


def test_batch_backups_and_the_previous_copy(tmp_path):
    """save_freq=3 over 4-batch epochs; double_checkpoint keeps the previous backup, which is
    used when the latest weights file is unreadable."""
    from tests.callbacks.helpers import X, Y

    model = regression_model()
    backup = keras.callbacks.BackupAndRestore(
        tmp_path, save_freq=3, double_checkpoint=True, delete_checkpoint=False
    )
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[backup])
    names = sorted(os.listdir(tmp_path))
    assert names == [
        "latest.weights.h5",
        "latest.weights.h5.bkp",
        "training_metadata.json",
        "training_metadata.json.bkp",
    ]
    # Backups after global batches 3 and 6 (batch index 1 of epoch 2), both in epoch-2 terms:
    # the batch-3 backup was taken before epoch 1 ended.
    assert json.loads((tmp_path / "training_metadata.json").read_text()) == {
        "epoch": 1,
        "batch": 1,
    }
    assert json.loads((tmp_path / "training_metadata.json.bkp").read_text()) == {
        "epoch": 0,
        "batch": 2,
    }
    (tmp_path / "latest.weights.h5").write_bytes(b"torn")
    fresh = regression_model()
    restore = keras.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
    restore.set_model(fresh)
    restore.on_train_begin({})
    previous = regression_model()
    copy = tmp_path / "copy" / "previous.weights.h5"
    copy.parent.mkdir()
    copy.write_bytes((tmp_path / "latest.weights.h5.bkp").read_bytes())
    previous.load_weights(copy)
    for got, want in zip(fresh.get_weights(), previous.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert fresh._initial_epoch == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(backup_dir=""), "Empty `backup_dir` argument passed"),
        (dict(backup_dir="b", save_freq="batch"), "Invalid value for argument `save_freq`"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.callbacks.BackupAndRestore(**kwargs)


def test_unbuilt_model_is_refused(tmp_path):
    model = ScriptedModel()
    model.built = False
    callback = keras.callbacks.BackupAndRestore(tmp_path)
    callback.set_model(model)
    with pytest.raises(ValueError, match="must be built before you call `fit\\(\\)`"):
        callback.on_train_begin({})
