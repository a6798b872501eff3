"""``ModelCheckpoint``: saves the model (or its weights, or its ONNX graph) while training."""

from __future__ import annotations

import os
import warnings

import numpy as np

from kgraph.callbacks.checkpoint_files import extension, write_model_file
from kgraph.callbacks.monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Saves after every epoch or every ``save_freq`` batches, optionally only improvements.

    Args:
        filepath: Where to save; it may hold ``str.format`` fields: ``{epoch:02d}`` (1-based),
            ``{batch}`` (1-based, with a batch ``save_freq``) and any log key
            (``{val_loss:.2f}``). The extension picks the format: ``.keras`` (``model.save``),
            ``.weights.h5`` (``model.save_weights``) or ``.onnx`` (the inference graph, a kgraph
            addition).
        monitor: The log key that decides "best" ("val_loss").
        verbose: 1 prints a line per save decision, as Keras does.
        save_best_only: Save only when ``monitor`` improves on the best so far.
        save_weights_only: Save the weights only; ``filepath`` must end in ``.weights.h5``.
        mode: "auto", "min" or "max".
        save_freq: ``"epoch"`` or a number of batches between saves.
        initial_value_threshold: The best value to beat before the first save.

    Every write is atomic (see :mod:`kgraph.callbacks.checkpoint_files`).
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        # fit brings the weights up to date before every epoch end; only batch-level saves need
        # the trainer's sync after each step.
        self.reads_model = save_freq != "epoch"
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. "
                "Expected save_freq are 'epoch' or integer values"
            )
        ext = extension(self.filepath)
        if save_weights_only and ext != ".weights.h5":
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                "provided must end in `.weights.h5` (Keras weights format). Received: "
                f"filepath={self.filepath}"
            )
        if ext is None:
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format), `.h5` "
                "(legacy), `.weights.h5` or `.onnx` (the inference graph). Received: "
                f"filepath={self.filepath}"
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch) -> bool:
        """Counts batches across epochs (a batch index that goes back starts a new epoch)."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if isinstance(current, np.ndarray) and current.ndim > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        if self.monitor_op is None:  # a batch-level save before the first epoch ended
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs or {})
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}"
            )
        if self._should_save_model(epoch, logs, filepath):
            write_model_file(self.model, filepath, self.save_weights_only)
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs) -> str:
        """``filepath`` with ``epoch`` (1-based), ``batch`` (1-based) and the logs filled in."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}'
            ) from None
