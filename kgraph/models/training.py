"""``compile`` / ``fit`` / ``evaluate`` / ``train_on_batch`` / ``test_on_batch`` for ``Model``.

The loop is thin on purpose: each step hands one batch to the runtime engine, which runs the
compiled step graph (forward, loss, gradients, optimizer update) with the state resident on the
device, and returns the loss and the in-graph metric results.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from kgraph import optimizers as optimizers_
from kgraph.callbacks import CallbackList, History, ProgbarLogger
from kgraph.models import logs
from kgraph.models.compile_specs import output_train_specs
from kgraph.models.data import (
    Batches,
    EpochIterator,
    as_input_arrays,
    checked_batch_size,
    holds_arrays,
    is_xy_pair,
    unpack_batch,
)
from kgraph.models.evaluation import EvaluationMixin
from kgraph.models.labels import prepare_targets
from kgraph.utils import seeds


def _out_of_data(first_epoch: bool) -> None:
    """An epoch drew no batch: an empty input fails; an exhausted iterator ends training."""
    if first_epoch:
        raise ValueError("fit() received no batches: the dataset or generator `x` is empty.")
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your dataset or "
        "generator can generate at least `steps_per_epoch * epochs` batches (a generator "
        "object is used up after one pass; pass a re-iterable dataset to train for several "
        "epochs).",
        stacklevel=3,
    )


class TrainerMixin(EvaluationMixin):
    """Adds Keras' training API to ``Model``."""

    # -- compile -------------------------------------------------------------------------------
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
        self.optimizer = optimizers_.get(optimizer)
        self._compile_args = (loss, loss_weights, metrics, weighted_metrics)
        self._train_specs = None
        if self.built:
            self._train_specs = self._resolve_train_specs()
        self._training_setup = None
        if device is not None:
            self._device = device
        self.compiled = True
        self.stop_training = False

    def _resolve_train_specs(self):
        loss, loss_weights, metrics, weighted_metrics = self._compile_args
        shapes = [t.shape for t in self._output_specs()]
        return output_train_specs(
            self.output_names, shapes, loss, loss_weights, metrics, weighted_metrics
        )

    @property
    def _output_train_specs(self):
        """Per-output loss and metric specs (resolved once the model is built)."""
        if self._train_specs is None:
            self._train_specs = self._resolve_train_specs()
        return self._train_specs

    def _output_specs(self):
        return getattr(self, "outputs", None) or self._symbolic_output_list()

    def _symbolic_output_list(self):
        from kgraph.utils import tree

        return tree.flatten(self._symbolic_outputs)

    def _check_compiled(self, method):
        if not getattr(self, "compiled", False):
            raise ValueError(
                f"You must call compile() before calling {method}() on model '{self.name}'."
            )

    def _setup(self):
        from kgraph.models.programs import TrainingSetup

        setup = self._training_setup
        if setup is None or setup.trainable_ids != tuple(id(w) for w in self.trainable_weights):
            if setup is not None:
                setup.pull_weights()
            setup = self._training_setup = TrainingSetup(
                self, self._output_train_specs, self.optimizer, self._device
            )
        setup.push_weights()
        return setup

    # -- data -------------------------------------------------------------------------------------
    def _prepare(self, x, y, sample_weight, class_weight=None) -> Batches:
        self._build_on_data(x)
        specs = self._trace_inputs()
        xs = as_input_arrays(x, specs, self.name, self._input_keys())
        if y is None:
            raise ValueError(
                "fit() and evaluate() need targets: pass y (or a dataset of (x, y) batches)."
            )
        shapes = [t.shape for t in self._output_specs()]
        ys, sample_weight = prepare_targets(
            y, sample_weight, class_weight, self._output_train_specs, shapes
        )
        return Batches(xs, ys, sample_weight)

    def _feed(self, x_list, y_list, sw, program) -> dict:
        feed = dict(zip(self.input_names, x_list))
        labels = [n for n in program.batch_inputs if n == "y" or n.startswith("y/")]
        feed.update(zip(labels, y_list))
        n = len(x_list[0])
        feed["sample_weight"] = np.ones(n, np.float32) if sw is None else sw
        return feed

    def _batch_source(self, data, batch_size, shuffle):
        """A function that starts a new pass over ``data``: an iterator of (x, y, sw) batches."""
        if isinstance(data, Batches):
            return lambda: data(batch_size, shuffle=shuffle, rng=seeds.rng())

        def prepared(item):
            batch = self._prepare(*unpack_batch(item))
            return batch.x, batch.y, batch.sample_weight

        return lambda: map(prepared, iter(data))

    def _iterate(self, data, batch_size, shuffle, steps=None):
        return itertools.islice(self._batch_source(data, batch_size, shuffle)(), steps)

    def _train_step(self, setup, bx, by, bsw) -> dict:
        """One step: the learning rate is read at ``iterations`` (0-based, as in Keras), the
        graph gets the 1-based step count used for bias corrections."""
        lr = self.optimizer._current_learning_rate()
        self.optimizer.iterations += 1
        return setup.train_step(self._feed(bx, by, bsw, setup.step), lr, self.optimizer.iterations)

    # -- fit ------------------------------------------------------------------------------------
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
        self._check_compiled("fit")
        batch_size = checked_batch_size(batch_size)
        if validation_batch_size is not None:
            validation_batch_size = checked_batch_size(
                validation_batch_size, "validation_batch_size"
            )
        verbose = 1 if verbose == "auto" else verbose
        if holds_arrays(x, y):
            data = self._prepare(x, y, sample_weight, class_weight)
            if validation_split and validation_data is None:
                data, validation_data = data.split(validation_split)
                if class_weight:
                    # As in Keras, class weights weigh the training part only (class_weight
                    # excludes sample_weight, so the validation part is unweighted).
                    validation_data.sample_weight = None
            steps = data.num_batches(batch_size)
        else:
            if x is None:
                raise ValueError("fit() needs x: numpy arrays or an iterable of (x, y) batches.")
            if validation_split:
                raise ValueError(
                    "validation_split is only supported for numpy arrays; pass validation_data "
                    f"with a dataset or generator. Received: validation_split={validation_split}"
                )
            data, steps = x, (len(x) if hasattr(x, "__len__") else None)
        batches = EpochIterator(
            self._batch_source(data, batch_size, shuffle), steps_per_epoch, steps
        )
        if steps_per_epoch is not None:
            steps = steps_per_epoch if steps is None else min(steps, steps_per_epoch)
        if validation_data is not None and not isinstance(validation_data, Batches):
            validation_data = self._validation(validation_data)
        setup = self._setup()
        history = History()
        cbs = CallbackList(
            [*(callbacks or []), history] + ([ProgbarLogger(verbose)] if verbose else []),
            model=self,
            epochs=epochs,
            steps=steps,
            verbose=verbose,
        )
        self.stop_training = False
        cbs.on_train_begin({})
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            setup.push_weights()
            setup.reset_metrics()
            cbs.on_epoch_begin(epoch, {})
            epoch_logs, ran = self._train_epoch(setup, batches.epoch(), cbs, epoch)
            setup.pull_weights()
            if not ran:
                _out_of_data(epoch == initial_epoch)
                break
            if validation_data is not None and (epoch + 1 - initial_epoch) % validation_freq == 0:
                self._in_fit = True
                try:
                    val = self._evaluate_data(
                        validation_data, validation_batch_size or batch_size, validation_steps, cbs
                    )
                finally:
                    self._in_fit = False
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs)
        return history

    def _train_epoch(self, setup, batches, cbs, epoch) -> tuple[dict, int]:
        """Runs one epoch's steps; returns its logs and how many steps ran."""
        means, batch_logs, ran = logs.LossMeans(), {}, 0
        for step_index, (bx, by, bsw) in enumerate(batches):
            ran += 1
            cbs.on_train_batch_begin(step_index, {})
            out = self._train_step(setup, bx, by, bsw)
            losses = logs.losses(setup.step, out)
            if not math.isfinite(losses["loss"]):
                setup.pull_weights()
                raise FloatingPointError(
                    f"The loss became {losses['loss']} at epoch {epoch + 1}, step {step_index + 1}."
                )
            means.update(losses, len(bx[0]))
            batch_logs = means.logs(setup.step, out)
            cbs.on_train_batch_end(step_index, batch_logs)
            if self.stop_training:
                break
        return batch_logs, ran

    def _validation(self, validation_data):
        """``(x, y[, sample_weight])`` arrays become ``Batches``; anything else (a dataset, a
        generator, a list of ``(x, y)`` batches) is iterated as it is."""
        if is_xy_pair(validation_data, len(self.input_names)) and holds_arrays(
            validation_data[0], validation_data[1]
        ):
            vx, vy, vsw = unpack_batch(tuple(validation_data))
            return self._prepare(vx, vy, vsw)
        return validation_data

    # -- single batches -------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        self._check_compiled("train_on_batch")
        data = self._prepare(x, y, sample_weight, class_weight)
        setup = self._setup()
        setup.reset_metrics()
        bx, by, bsw = next(data(data.size))
        out = self._train_step(setup, bx, by, bsw)
        setup.pull_weights()
        means = logs.LossMeans()
        means.update(logs.losses(setup.step, out), 1)
        return self._returned(means.logs(setup.step, out), return_dict)
