"""One training run with BackupAndRestore for ``test_backup_and_restore.py``; as a script
(``python -m tests.callbacks.backup_run BACKUP_DIR LOG KILL_EPOCH``) it kills itself in the
middle of epoch KILL_EPOCH (never for -1). Every finished epoch appends ``[epoch, loss]`` to
LOG."""

from __future__ import annotations

import json
import os
import signal
import sys

import numpy as np

import kgraph as keras
from tests.callbacks.helpers import X, Y, regression_model

EPOCHS = 6


def main(backup_dir, log_path, kill_epoch: int) -> None:
    model = regression_model(optimizer=keras.optimizers.Adam(0.05))
    model.set_weights([np.array([[0.1], [0.2], [0.3]], np.float32), np.zeros(1, np.float32)])
    state = {"epoch": None}

    def on_epoch_end(epoch, logs):
        with open(log_path, "a") as f:
            f.write(json.dumps([epoch, logs["loss"]]) + "\n")

    def on_train_batch_end(batch, logs):
        if state["epoch"] == kill_epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)  # dies mid-epoch, after a backup

    record = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: state.update(epoch=epoch),
        on_epoch_end=on_epoch_end,
        on_train_batch_end=on_train_batch_end,
    )
    backup = keras.callbacks.BackupAndRestore(backup_dir)
    model.fit(X, Y, batch_size=4, epochs=EPOCHS, shuffle=False, verbose=0,
              callbacks=[backup, record])  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
