"""``compile`` / ``fit`` / ``evaluate`` / ``train_on_batch`` / ``test_on_batch`` for ``Model``.

The loop is thin on purpose: each step hands one batch to the runtime engine, which runs the
compiled step graph (forward, loss, gradients, optimizer update) with the state resident on the
device, and returns the loss and the in-graph metric results.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import losses as losses_
from kgraph import metrics as metrics_
from kgraph import optimizers as optimizers_
from kgraph.callbacks import CallbackList, History, ProgbarLogger
from kgraph.models.data import Batches, as_input_arrays, is_array_like, unpack_batch
from kgraph.models.labels import class_weights_to_sample_weight, prepare_labels
from kgraph.utils import seeds


def _per_output(value, names, what):
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"{what} has keys {unknown} that are not outputs {names}.")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)) and not (what == "metrics" and len(names) == 1):
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} entries for {len(names)} outputs.")
        return list(value)
    return [value] * len(names)


class TrainerMixin:
    """Adds Keras' training API to ``Model``."""

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, device=None):
        """Configures training. Names are checked here, before any data is seen."""
        from compiler.metrics import resolve_metric_name

        self.optimizer = optimizers_.get(optimizer)
        names = self.output_names
        loss_list = [losses_.get(x) for x in _per_output(loss, names, "loss")]
        weights = _per_output(loss_weights, names, "loss_weights") if loss_weights is not None \
            else [1.0] * len(names)
        metric_lists = _per_output(metrics or [], names, "metrics")
        from compiler.training import OutputSpec

        specs = []
        shapes = [t.shape for t in self._output_specs()]
        for i, (name, lo, w) in enumerate(zip(names, loss_list, weights)):
            items = metric_lists[i] or []
            items = items if isinstance(items, (list, tuple)) else [items]
            metric_specs = []
            for item in items:
                spec = metrics_.get(item).spec()
                spec["name"] = resolve_metric_name(spec["name"], lo.loss_name if lo else None,
                                                   shapes[i])
                if len(names) > 1:
                    spec["display_name"] = f"{name}_{spec['display_name']}"
                metric_specs.append(spec)
            specs.append(OutputSpec(name, lo.spec() if lo else None, float(w if w is not None
                                                                          else 1.0),
                                    metric_specs, "y" if len(names) == 1 else f"y/{name}"))
        if all(s.loss is None for s in specs):
            raise ValueError("compile() needs a loss: pass loss='...' (e.g. "
                             "'sparse_categorical_crossentropy').")
        self._output_train_specs = specs
        self._training_setup = None
        if device is not None:
            self._device = device
        self.compiled = True
        self.stop_training = False

    def _output_specs(self):
        return getattr(self, "outputs", None) or self._symbolic_output_list()

    def _symbolic_output_list(self):
        from kgraph.utils import tree

        return tree.flatten(self._symbolic_outputs)

    def _setup(self):
        from kgraph.models.programs import TrainingSetup

        if not getattr(self, "compiled", False):
            raise RuntimeError("You must call compile() before fit() or evaluate().")
        setup = self._training_setup
        if setup is None or setup.trainable_ids != tuple(id(w) for w in self.trainable_weights):
            if setup is not None:
                setup.pull_weights()
            setup = self._training_setup = TrainingSetup(
                self, self._output_train_specs, self.optimizer, self._device)
        setup.push_weights()
        return setup

    # -- data -------------------------------------------------------------------------------------
    def _prepare(self, x, y, sample_weight, class_weight=None) -> Batches:
        specs = self._trace_inputs()
        xs = as_input_arrays(x, specs, self.name)
        if y is None:
            raise ValueError("fit() and evaluate() need targets: pass y (or a dataset of "
                             "(x, y) batches).")
        outs = self._output_train_specs
        ys_raw = y if isinstance(y, (list, tuple)) and len(outs) > 1 else [y]
        if isinstance(y, dict):
            ys_raw = [y[s.name] for s in outs]
        if len(ys_raw) != len(outs):
            raise ValueError(f"Model has {len(outs)} outputs but y has {len(ys_raw)} entries.")
        shapes = [t.shape for t in self._output_specs()]
        ys = [prepare_labels(v, shape, s.loss["name"] if s.loss else None, s.name)
              for v, shape, s in zip(ys_raw, shapes, outs)]
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, np.float32).reshape(-1)
        if class_weight:
            cw = class_weights_to_sample_weight(ys[0], class_weight)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        return Batches(xs, ys, sample_weight)

    def _feed(self, x_list, y_list, sw, program) -> dict:
        feed = dict(zip(self.input_names, x_list))
        labels = [n for n in program.batch_inputs if n == "y" or n.startswith("y/")]
        feed.update(zip(labels, y_list))
        n = len(x_list[0])
        feed["sample_weight"] = np.ones(n, np.float32) if sw is None else sw
        return feed

    def _iterate(self, data, batch_size, shuffle, steps=None):
        if isinstance(data, Batches):
            yield from data(batch_size, shuffle=shuffle, rng=seeds.rng())
            return
        for i, item in enumerate(data):
            if steps is not None and i >= steps:
                break
            bx, by, bsw = unpack_batch(item)
            prepared = self._prepare(bx, by, bsw)
            yield prepared.x, prepared.y, prepared.sample_weight

    def _train_step(self, setup, bx, by, bsw) -> dict:
        """One step: the learning rate is read at ``iterations`` (0-based, as in Keras), the
        graph gets the 1-based step count used for bias corrections."""
        lr = self.optimizer.learning_rate
        self.optimizer.iterations += 1
        return setup.train_step(self._feed(bx, by, bsw, setup.step), lr, self.optimizer.iterations)

    # -- fit ------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model; returns a ``History``."""
        batch_size = batch_size or 32
        verbose = 1 if verbose == "auto" else verbose
        if is_array_like(x):
            data = self._prepare(x, y, sample_weight, class_weight)
            if validation_split and validation_data is None:
                data, val = data.split(validation_split)
                validation_data = val
            steps = data.num_batches(batch_size)
        else:
            if x is None:
                raise ValueError("fit() needs x: numpy arrays or an iterable of (x, y) batches.")
            data, steps = x, steps_per_epoch or (len(x) if hasattr(x, "__len__") else None)
        if steps_per_epoch is not None and steps is not None:
            steps = min(steps, steps_per_epoch)
        if validation_data is not None and not isinstance(validation_data, Batches):
            validation_data = self._validation(validation_data)
        setup = self._setup()
        history = History()
        cbs = CallbackList([*(callbacks or []), history] + (
            [ProgbarLogger(verbose)] if verbose else []), model=self, epochs=epochs,
            steps=steps, verbose=verbose)
        self.stop_training = False
        cbs.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            setup.push_weights()
            setup.reset_metrics()
            cbs.on_epoch_begin(epoch)
            seen, loss_sum, logs = 0, 0.0, {}
            for step_index, (bx, by, bsw) in enumerate(self._iterate(data, batch_size, shuffle,
                                                                     steps_per_epoch)):
                if steps_per_epoch is not None and step_index >= steps_per_epoch:
                    break
                cbs.on_train_batch_begin(step_index)
                out = self._train_step(setup, bx, by, bsw)
                n = len(bx[0])
                loss = float(out["loss"])
                if not math.isfinite(loss):
                    setup.pull_weights()
                    raise FloatingPointError(f"The loss became {loss} at epoch {epoch + 1}, "
                                             f"step {step_index + 1}.")
                seen, loss_sum = seen + n, loss_sum + loss * n
                logs = {"loss": loss_sum / seen, **{
                    name: float(out[key]) for name, key in zip(setup.step.metric_names,
                                                               setup.step.fetch[1:])}}
                cbs.on_train_batch_end(step_index, logs)
                if self.stop_training:
                    break
            setup.pull_weights()
            if validation_data is not None and (epoch + 1 - initial_epoch) % validation_freq == 0:
                self._in_fit = True
                try:
                    val = self._evaluate_data(validation_data, validation_batch_size or batch_size,
                                              validation_steps)
                finally:
                    self._in_fit = False
                logs.update({f"val_{k}": v for k, v in val.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return history

    def _validation(self, validation_data):
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) and \
                is_array_like(validation_data[0]):
            vx, vy, vsw = unpack_batch(tuple(validation_data))
            return self._prepare(vx, vy, vsw)
        return validation_data

    # -- evaluate -------------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics over the data (a scalar loss, or a list, or a dict)."""
        batch_size = batch_size or 32
        data = self._prepare(x, y, sample_weight) if is_array_like(x) else x
        self._setup()
        results = self._evaluate_data(data, batch_size, steps)
        if return_dict:
            return results
        values = list(results.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_data(self, data, batch_size, steps=None) -> dict:
        setup = self._setup()
        state = {n: np.zeros_like(v) for n, v in setup.eval_metric_state.items()}
        seen, loss_sum, out = 0, 0.0, None
        for i, (bx, by, bsw) in enumerate(self._iterate(data, batch_size, False, steps)):
            if steps is not None and i >= steps:
                break
            out = setup.eval_step(self._feed(bx, by, bsw, setup.eval), state)
            n = len(bx[0])
            seen, loss_sum = seen + n, loss_sum + float(out["loss"]) * n
        if out is None:
            raise ValueError("evaluate() received no data.")
        results = {"loss": loss_sum / seen}
        results.update({name: float(out[key]) for name, key in zip(setup.eval.metric_names,
                                                                   setup.eval.fetch[1:])})
        return results

    # -- single batches -------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics)."""
        data = self._prepare(x, y, sample_weight, class_weight)
        setup = self._setup()
        bx, by, bsw = next(data(data.size))
        out = self._train_step(setup, bx, by, bsw)
        setup.pull_weights()
        results = {"loss": float(out["loss"]), **{
            n: float(out[k]) for n, k in zip(setup.step.metric_names, setup.step.fetch[1:])}}
        return results if return_dict else (list(results.values()) if len(results) > 1
                                            else results["loss"])

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch, without updating weights."""
        data = self._prepare(x, y, sample_weight)
        results = self._evaluate_data(data, data.size)
        return results if return_dict else (list(results.values()) if len(results) > 1
                                            else results["loss"])
