"""``fit``'s loop: epochs of training steps on a :class:`~kgraph.models.trainer.Trainer`, with
callbacks, validation and Keras' logs.

The loop is thin on purpose: each step hands one batch to the runtime engine, which runs the
compiled step graph (forward, loss, gradients, optimizer update) with the state resident on the
device, and returns the loss and the in-graph metric results by name.

A step whose loss is not finite is dropped (the state from before it stays live), so the model
keeps the weights and optimizer state of its last finite step. Callbacks see that step's logs;
unless one of them stops training (``TerminateOnNaN`` does, as in Keras), ``fit`` then raises
``FloatingPointError``.
"""

from __future__ import annotations

import math
import warnings

from kgraph.callbacks import CallbackList, History, ProgbarLogger
from kgraph.models import logs
from kgraph.models.data import (
    Batches,
    EpochIterator,
    holds_arrays,
    is_xy_pair,
    refuse_separate_targets,
    unpack_batch,
)
from kgraph.models.evaluation import evaluate_data


def _out_of_data(first_epoch: bool) -> None:
    """An epoch drew no batch: an empty input fails; an exhausted iterator ends training."""
    if first_epoch:
        raise ValueError("fit() received no batches: the dataset or generator `x` is empty.")
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your dataset or "
        "generator can generate at least `steps_per_epoch * epochs` batches (a generator "
        "object is used up after one pass; pass a re-iterable dataset to train for several "
        "epochs).",
        stacklevel=4,
    )


def check_epochs(epochs, initial_epoch, steps_per_epoch) -> None:
    """Keras' loop would silently train nothing, or fail deep inside, on these."""
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"`{name}` must be a non-negative integer. Received: {name}={value}")
    if initial_epoch > epochs:
        raise ValueError(
            f"`initial_epoch` ({initial_epoch}) is past `epochs` ({epochs}): `epochs` is the "
            "index of the last epoch, not a number of further epochs. "
            f"Received: initial_epoch={initial_epoch}, epochs={epochs}"
        )
    if steps_per_epoch is not None and (
        isinstance(steps_per_epoch, bool)
        or not isinstance(steps_per_epoch, int)
        or steps_per_epoch <= 0
    ):
        raise ValueError(
            f"`steps_per_epoch` must be a positive integer or None. "
            f"Received: steps_per_epoch={steps_per_epoch}"
        )


def training_data(trainer, x, y, sample_weight, class_weight, validation_split, validation_data):
    """``(data, steps per pass or None, validation data)`` from ``fit``'s arguments."""
    if holds_arrays(x, y):
        data = trainer.prepare(x, y, sample_weight, class_weight)
        if validation_split and validation_data is None:
            data, validation_data = data.split(validation_split)
            if class_weight:
                # As in Keras, class weights weigh the training part only (class_weight
                # excludes sample_weight, so the validation part is unweighted).
                validation_data.sample_weight = None
        return data, data, validation_data
    if x is None:
        raise ValueError("fit() needs x: numpy arrays or an iterable of (x, y) batches.")
    refuse_separate_targets(x, y, sample_weight)
    if validation_split:
        raise ValueError(
            "validation_split is only supported for numpy arrays; pass validation_data "
            f"with a dataset or generator. Received: validation_split={validation_split}"
        )
    return x, None, validation_data


def validation_batches(trainer, validation_data):
    """``(x, y[, sample_weight])`` arrays become ``Batches``; anything else (a dataset, a
    generator, a list of ``(x, y)`` batches) is iterated as it is."""
    if validation_data is None or isinstance(validation_data, Batches):
        return validation_data
    if is_xy_pair(validation_data, len(trainer.model.input_names)) and holds_arrays(
        validation_data[0], validation_data[1]
    ):
        vx, vy, vsw = unpack_batch(tuple(validation_data))
        return trainer.prepare(vx, vy, vsw)
    return validation_data


class FitLoop:
    """One ``fit`` call: the epochs, their callbacks and validation."""

    def __init__(self, trainer, callbacks, verbose, epochs, steps, validation):
        self.trainer, self.model = trainer, trainer.model
        self.epochs = epochs
        self.validation = validation  # (data, batch_size, steps, freq) or None
        self.history = History()
        progress = [ProgbarLogger(verbose)] if verbose else []
        self.callbacks = CallbackList(
            [*(callbacks or []), self.history, *progress],
            model=self.model,
            sync=trainer.pull,
            epochs=epochs,
            steps=steps,
            verbose=verbose,
        )

    def run(self, batches: EpochIterator, initial_epoch: int) -> History:
        model, trainer, cbs = self.model, self.trainer, self.callbacks
        trainer.programs()
        model.stop_training = False
        cbs.on_train_begin({})
        # BackupAndRestore resumes by setting Keras' ``model._initial_epoch`` in on_train_begin.
        initial_epoch = getattr(model, "_initial_epoch", None) or initial_epoch
        model._initial_epoch = None
        epoch_logs = {}
        try:
            for epoch in range(initial_epoch, self.epochs):
                trainer.reset_metrics()
                cbs.on_epoch_begin(epoch, {})
                epoch_logs, ran = self.train_epoch(batches.epoch(epoch), epoch)
                trainer.pull()
                if not ran:
                    _out_of_data(epoch == initial_epoch)
                    break
                epoch_logs.update(self.validate(epoch - initial_epoch))
                cbs.on_epoch_end(epoch, epoch_logs)
                if model.stop_training:
                    break
        finally:
            trainer.pull()
            if self.epochs > 0:  # as Keras: with use_ema, the weights take their averages
                model.optimizer.finalize_variable_values(model.trainable_weights)
        cbs.on_train_end(epoch_logs)
        return self.history

    def train_epoch(self, batches, epoch) -> tuple[dict, int]:
        """Runs one epoch's steps; returns its logs and how many steps ran."""
        trainer, cbs = self.trainer, self.callbacks
        means, batch_logs, ran = trainer.track(logs.LossMeans()), {}, 0
        for index, batch in enumerate(batches):
            ran += 1
            cbs.on_train_batch_begin(index, {})
            out = trainer.train_step(batch)
            program = trainer.built_programs().step
            losses = logs.losses(program, out)
            if not math.isfinite(losses["loss"]):
                self.non_finite(index, epoch, out, losses["loss"])
                break
            means.update(losses, len(batch[0][0]))
            batch_logs = means.logs(program, out)
            cbs.on_train_batch_end(index, batch_logs)
            if self.model.stop_training:
                break
        return batch_logs, ran

    def non_finite(self, index, epoch, out, loss) -> None:
        """Drops the step, lets callbacks see its logs, and raises unless one stopped training."""
        self.trainer.undo_step()
        step_logs = {"loss": loss, **logs.metric_logs(self.trainer.built_programs().step, out)}
        self.callbacks.on_train_batch_end(index, step_logs)
        if not self.model.stop_training:
            raise FloatingPointError(
                f"The loss became {loss} at epoch {epoch + 1}, step {index + 1}. The model "
                "keeps the weights and optimizer state of its last finite step."
            )

    def validate(self, epochs_done: int) -> dict:
        """``val_*`` logs when validation runs after this epoch (every ``validation_freq``)."""
        if self.validation is None:
            return {}
        data, batch_size, steps, freq = self.validation
        if (epochs_done + 1) % freq:
            return {}
        results = evaluate_data(self.trainer, data, batch_size, steps, self.callbacks)
        return {f"val_{k}": v for k, v in results.items()}
