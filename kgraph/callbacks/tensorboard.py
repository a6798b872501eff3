"""``TensorBoard``: event files for TensorBoard, written without TensorFlow.

Keras' callback needs TensorFlow's summary ops even on the JAX backend. kgraph builds the same
records (see :mod:`kgraph.callbacks.tensorboard_summaries`) and writes them with the
``tensorboard`` package's own ``EventFileWriter``, under the same folders and tags: ``train/``
and ``validation/``, ``epoch_<log>`` per epoch (``epoch_learning_rate`` too),
``batch_<log>`` every ``update_freq`` batches, ``evaluation_<log>_vs_iterations`` after each
evaluation, ``<weight path>/histogram`` and ``/image``, the ``keras`` model config and the graph
(the model's ONNX inference graph).
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np

from kgraph.callbacks import tensorboard_summaries as summaries
from kgraph.callbacks.callback import Callback


def _event_file_writer(logdir):
    try:
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as e:  # pragma: no cover - tensorboard is a dependency
        raise ImportError(
            "The TensorBoard callback needs the `tensorboard` package: pip install tensorboard"
        ) from e
    return EventFileWriter(logdir)


def weight_image(values: np.ndarray) -> np.ndarray | None:
    """A weight as Keras' TensorBoard shows it: a (k, h, w, 1) image stack, or None."""
    image = np.squeeze(np.asarray(values))
    if image.ndim == 1:
        image = image.reshape(1, image.shape[0], 1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, *image.shape, 1)
    elif image.ndim == 3:  # channels last: one picture per channel
        image = np.transpose(image, (2, 0, 1))[..., None]
    if image.ndim == 4 and image.shape[-1] in (1, 3, 4):
        return image
    return None


class TensorBoard(Callback):
    """Args (Keras 3's):
    log_dir: The root folder of the event files ("logs").
    histogram_freq: Every how many epochs to write weight histograms (0: never).
    write_graph: Write the model graph (its ONNX inference graph) and config.
    write_images: Write weights as images along with the histograms.
    write_steps_per_second: Log training steps per second (per epoch and per logged batch).
    update_freq: ``"epoch"``, ``"batch"`` or every how many batches to log ``batch_*`` values.
    profile_batch: Keras profiles with the back end's profiler; kgraph has none and warns.
    embeddings_freq, embeddings_metadata: Keras' embedding projector; kgraph refuses a
        non-zero ``embeddings_freq``.
    """

    # Weights are read at epoch ends only, where fit has already brought them up to date; the
    # batch hooks log values, so they need no weight sync after every step.
    reads_model = False

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        if update_freq != "epoch" and update_freq != "batch" and not isinstance(update_freq, int):
            raise ValueError(
                f"update_freq must be 'epoch', 'batch' or an integer. Received: "
                f"update_freq={update_freq!r}"
            )
        if embeddings_freq:
            raise ValueError(
                "kgraph's TensorBoard callback does not write embedding projections. "
                f"Received: embeddings_freq={embeddings_freq}"
            )
        if profile_batch:
            warnings.warn(
                "kgraph has no profiler for TensorBoard; profile_batch is ignored.", stacklevel=2
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._global_train_batch = 0
        self._graph_written = False
        self._batch_start_time = 0.0
        self._epoch_start = (0.0, 0)

    # -- writers -------------------------------------------------------------------------------
    def _writer(self, which: str):
        if which not in self._writers:
            folder = self._train_dir if which == "train" else self._val_dir
            self._writers[which] = _event_file_writer(folder)
        return self._writers[which]

    def _scalars(self, which: str, values: dict, prefix: str, step: int, suffix: str = ""):
        writer = self._writer(which)
        for name, value in values.items():
            writer.add_event(summaries.scalar_event(f"{prefix}{name}{suffix}", value, step))

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_graph(self):
        writer = self._writer("train")
        event = summaries.keras_model_event(self.model)
        if event is not None:
            writer.add_event(event)
        writer.add_event(summaries.graph_event(self.model.to_onnx_bytes()))
        writer.flush()
        self._graph_written = True

    # -- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0
        if self.write_graph and not self._graph_written:
            self._write_graph()

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = (time.time(), self._iterations())

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        values = dict(logs or {})
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-9)
            values["steps_per_second"] = 1.0 / elapsed
        self._scalars("train", values, "batch_", step)

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            step = self._iterations()
            self._scalars("val", dict(logs or {}), "evaluation_", step, "_vs_iterations")
            self._writer("val").flush()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    # -- epoch records -------------------------------------------------------------------------
    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        return int(getattr(optimizer, "iterations", 0) or 0)

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            started, iterations = self._epoch_start
            elapsed = max(time.time() - started, 1e-9)
            train["steps_per_second"] = (self._iterations() - iterations) / elapsed
        if train:
            self._scalars("train", train, "epoch_", epoch)
            self._writer("train").flush()
        if val:
            self._scalars("val", val, "epoch_", epoch)
            self._writer("val").flush()

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = np.asarray(weight.numpy())
                writer.add_event(summaries.histogram_event(f"{name}/histogram", values, epoch))
                image = weight_image(values) if self.write_images else None
                if image is not None:
                    writer.add_event(summaries.image_event(f"{name}/image", image, epoch))
        writer.flush()
