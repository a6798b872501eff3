"""Keras' training API on ``Model``: ``compile``, ``fit``, ``evaluate``, ``train_on_batch``,
``test_on_batch``.

Each method checks its arguments and hands the work to the model's
:class:`~kgraph.models.trainer.Trainer`, which ``compile`` creates and which owns everything
training needs.
"""

from __future__ import annotations

import warnings

from kgraph import config, mixed_precision
from kgraph import optimizers as optimizers_
from kgraph.models import evaluation, logs
from kgraph.models.compiled_attributes import CompiledAttributes
from kgraph.models.data import (
    EpochIterator,
    built_from_first_batch,
    checked_batch_size,
    holds_arrays,
    refuse_separate_targets,
)
from kgraph.models.fit_loop import FitLoop, check_epochs, training_data, validation_batches
from kgraph.models.listed_logs import result_order
from kgraph.models.trainer import Trainer


class TrainingMethods(CompiledAttributes):
    """Adds Keras' training API to ``Model``."""

    _trainer: Trainer | None = None

    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
        device=None,
    ):
        """Configures training. Names are checked here, before any data is seen; a model that
        is not built yet (a Sequential without ``Input``) resolves them when ``fit`` builds it."""
        if device is not None:
            self._device = device
        compile_args = (loss, loss_weights, metrics, weighted_metrics)
        optimizer = mixed_precision.wrap_optimizer(
            self, optimizers_.get(optimizer), auto_scale_loss
        )
        self._trainer = Trainer(self, optimizer, compile_args)
        self.compiled = True
        self.stop_training = False
        self.run_eagerly, self.steps_per_execution = run_eagerly, steps_per_execution
        if jit_compile is True and run_eagerly:
            warnings.warn(
                "If `run_eagerly` is True, then `jit_compile` cannot also be True. "
                "Disabling `jit_compile`.",
                stacklevel=2,
            )
        self.jit_compile = not run_eagerly if jit_compile in ("auto", True) else bool(jit_compile)

    @property
    def optimizer(self):
        """The optimizer given to ``compile`` (None before)."""
        return self._trainer.optimizer if self._trainer is not None else None

    def _compiled_trainer(self, method) -> Trainer:
        self._check_step_overrides(method)
        if self._trainer is None:
            raise ValueError(
                f"You must call compile() before calling {method}() on model '{self.name}'."
            )
        return self._trainer

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Trains the model; returns a ``History``."""
        trainer = self._compiled_trainer("fit")
        batch_size = checked_batch_size(batch_size)
        if validation_batch_size is not None:
            validation_batch_size = checked_batch_size(
                validation_batch_size, "validation_batch_size"
            )
        check_epochs(epochs, initial_epoch, steps_per_epoch)
        epochs = config.capped_epochs(epochs)  # keras.config.set_max_epochs
        steps_per_epoch = config.capped_steps(steps_per_epoch)
        verbose = 1 if verbose == "auto" else verbose
        data, arrays, validation_data = training_data(
            trainer, x, y, sample_weight, class_weight, validation_split, validation_data
        )
        data = data if arrays is not None else built_from_first_batch(self, data)
        if arrays is not None:
            steps = arrays.num_batches(batch_size)
        else:
            steps = len(data) if hasattr(data, "__len__") else None
        batches = EpochIterator(
            trainer.batch_source(data, batch_size, shuffle), steps_per_epoch, steps
        )
        if steps_per_epoch is not None:
            steps = steps_per_epoch if steps is None else min(steps, steps_per_epoch)
        validation_data = validation_batches(trainer, validation_data)
        validation = None
        if validation_data is not None:
            size = validation_batch_size or batch_size
            validation = (validation_data, size, validation_steps, validation_freq)
        loop = FitLoop(trainer, callbacks, verbose, epochs, steps, validation)
        return loop.run(batches, initial_epoch)

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        **kwargs,
    ):
        """Loss and metrics over the data (a scalar loss, or a list, or a dict).

        Args:
            x, y, sample_weight: Numpy data, or ``x`` an iterable of ``(x, y[, w])`` batches.
            batch_size: Samples per batch for numpy data (32 by default).
            verbose: 0 = silent, 1 or "auto" = progress bar, 2 = one line.
            steps: Stop after this many batches.
            callbacks: Callbacks whose ``on_test_*`` hooks run.
            return_dict: Return ``{name: value}`` instead of a value or list.
        """
        if kwargs:  # Keras' evaluate takes **kwargs and refuses the ones it does not know
            raise ValueError(f"Arguments not recognized: {kwargs}")
        trainer = self._compiled_trainer("evaluate")
        batch_size = checked_batch_size(batch_size)
        steps = config.capped_steps(steps)
        arrays = holds_arrays(x, y)
        if not arrays:
            refuse_separate_targets(x, y, sample_weight)
        data = trainer.prepare(x, y, sample_weight) if arrays else built_from_first_batch(self, x)
        verbose = 1 if verbose == "auto" else verbose
        if arrays:
            count = data.num_batches(batch_size)
        else:  # a dataset's length when known (PyDataset's num_batches is a property)
            count = len(data) if hasattr(data, "__len__") else None
        count = min(count, steps) if count is not None and steps is not None else count or steps
        cbs = evaluation.test_callbacks(trainer, callbacks, verbose, count)
        results = evaluation.evaluate_data(trainer, data, batch_size, steps, cbs)
        programs = trainer.built_programs()  # trackers hold evaluate's state, as in Keras
        programs.load_trackers(programs.eval, trainer.tracked.state)
        return _returned(trainer, results, return_dict)

    def reset_metrics(self) -> None:
        """Resets the compiled metrics' state (``fit``, ``evaluate`` and the ``*_on_batch``
        calls start from a reset state anyway)."""
        trainer = self._trainer
        for metric in self.metrics:  # what model.metrics show (Keras resets each of them)
            metric.reset_state()
        if trainer is not None and trainer._programs is not None:  # nothing ran: nothing to reset
            trainer.reset_metrics()

    def train_on_batch(
        self,
        x,
        y=None,
        sample_weight=None,
        class_weight=None,
        return_dict=False,
        reset_metrics=True,
    ):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch.
        ``reset_metrics=False`` (Keras' running results over calls) is not supported."""
        _check_reset(reset_metrics)
        trainer = self._compiled_trainer("train_on_batch")
        data = trainer.prepare(x, y, sample_weight, class_weight)
        trainer.reset_metrics()
        means = trainer.track(logs.LossMeans())
        out = trainer.train_step(next(data(data.size)))
        trainer.pull()
        program = trainer.built_programs().step
        means.update(logs.losses(program, out), 1)
        return _returned(trainer, means.logs(program, out), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False, reset_metrics=True):
        """Loss (and metrics) on one batch, without updating weights."""
        _check_reset(reset_metrics)
        trainer = self._compiled_trainer("test_on_batch")
        data = trainer.prepare(x, y, sample_weight)
        results = evaluation.evaluate_data(trainer, data, data.size)
        return _returned(trainer, results, return_dict)


def _returned(trainer, results: dict, return_dict: bool):
    """What ``evaluate`` and the ``*_on_batch`` methods return, in Keras' order: the compiled
    names, then the model's own metrics (all by ``model.metrics`` when the model lists them)."""
    names = logs.metrics_names(trainer.specs, trainer.loss_order)
    return logs.returned(results, return_dict, result_order(trainer, names))


def _check_reset(reset_metrics) -> None:
    if not reset_metrics:
        raise ValueError(
            "kgraph reports each *_on_batch call on its own batch: reset_metrics=False "
            "(results accumulated over calls) is not supported. Received: reset_metrics=False"
        )
