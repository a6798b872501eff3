"""``BackupAndRestore``: fault tolerance for ``fit``. The model's weights and optimizer state are
backed up regularly; a ``fit`` started again after the process died resumes from the backup, at
the epoch after the last one backed up.

The backup is ``latest.weights.h5`` (``model.save_weights``: weights and optimizer state, in
Keras 3's layout, written atomically) and ``training_metadata.json`` (the epoch to resume at and
the last batch seen), as in Keras. ``fit`` starts at ``model._initial_epoch`` when a callback
sets it in ``on_train_begin``, the attribute Keras' own callback sets.
"""

from __future__ import annotations

import json
import os
import shutil

from kgraph.callbacks.callback import Callback
from kgraph.saving.atomic import atomic_write_bytes


class BackupAndRestore(Callback):
    """Args (Keras 3's):
    backup_dir: The folder of the backup (one per training job; not shared between runs).
    save_freq: ``"epoch"`` (after every epoch) or a number of batches between backups. A
        batch-level backup resumes at the start of the epoch it was taken in, with its weights,
        as in Keras.
    double_checkpoint: Keep the previous backup too (``*.bkp``), used when the latest one is
        unreadable.
    delete_checkpoint: Delete the backup once training ends normally.
    """

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_metadata_path = f"{self._metadata_path}.bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        # fit brings the weights up to date before every epoch end; only batch-level backups
        # need the trainer's sync after each step.
        self.reads_model = save_freq != "epoch"

    # -- restore -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        try:
            self._load_backup()
        except (OSError, ValueError):
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_metadata_path):
                shutil.copyfile(self._prev_metadata_path, self._metadata_path)
            elif os.path.exists(self._metadata_path):
                os.remove(self._metadata_path)
            self._load_backup()

    def _load_backup(self):
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, you model must be built before you call "
                f"`fit()`. Model {self.model} is unbuilt. You can build it beforehand by "
                "calling it on a batch of data."
            )
        if os.path.exists(self._weights_path):
            self.model.load_weights(self._weights_path)
        if os.path.exists(self._metadata_path):
            with open(self._metadata_path) as f:
                metadata = json.load(f)
            self._current_epoch = metadata["epoch"]
            self.model._initial_epoch = metadata["epoch"]

    # -- back up -------------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_backup()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_backup()

    def _should_save_on_batch(self, batch) -> bool:
        if self.save_freq == "epoch":
            return False
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_backup(self):
        """Weights first, then the metadata that points at them: a kill between the two
        resumes from the new weights at the old epoch, never from a half-written file."""
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for latest, previous in (
                (self._weights_path, self._prev_weights_path),
                (self._metadata_path, self._prev_metadata_path),
            ):
                if os.path.exists(latest):
                    shutil.copyfile(latest, previous)
        self.model.save_weights(self._weights_path, overwrite=True)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        atomic_write_bytes(self._metadata_path, json.dumps(metadata).encode())

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
