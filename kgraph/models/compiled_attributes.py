"""The compiled-model attributes Keras programs and callbacks read: ``metrics``,
``metrics_variables``, ``get_metrics_result``, ``compute_loss``, ``compute_metrics``, ``loss``,
and the step methods a Keras subclass may override.

kgraph's steps are compiled ONNX graphs: a ``train_step``/``test_step``/``predict_step``
override (backend code: ``GradientTape``, ``jax.value_and_grad``) cannot run and is refused with
one clear error instead of being ignored. ``compute_loss`` and ``compute_metrics`` overrides
written with ``kgraph.ops`` are traced into the graphs (:mod:`kgraph.models.loss_override`).
"""

from __future__ import annotations

import numpy as np

_STEP_METHODS = ("train_step", "test_step", "predict_step")
_EVAL_STEPS = ("test_step",)
#: The overridable methods each entry point would run (fit validates with test_step).
_RUNS = {
    "fit": ("train_step", *_EVAL_STEPS),
    "train_on_batch": ("train_step", *_EVAL_STEPS),
    "evaluate": _EVAL_STEPS,
    "test_on_batch": _EVAL_STEPS,
    "predict": ("predict_step",),
}


def _not_compiled_step(name: str, cls_name: str) -> NotImplementedError:
    return NotImplementedError(
        f"{cls_name} overrides `{name}`: kgraph runs fit(), evaluate() and predict() as "
        "compiled ONNX step graphs and cannot run a Python (JAX/TF/torch) step. Put the "
        "computation in the model's `call` and a loss or metric passed to compile(), or "
        "write the training loop yourself."
    )


class CompiledAttributes:
    """Keras' ``Trainer`` attributes on ``Model`` (mixed into the training methods)."""

    _loss_override = None
    run_eagerly = False  # compile() sets these three, as Keras
    jit_compile = True  # kgraph always runs compiled graphs ("auto" resolves to True)
    steps_per_execution = 1

    def _check_step_overrides(self, method: str) -> None:
        """Raises when a subclass overrides a step method that ``method`` would skip."""
        for name in _RUNS.get(method, _STEP_METHODS):
            if getattr(type(self), name) is not getattr(CompiledAttributes, name):
                raise _not_compiled_step(name, type(self).__name__)

    @property
    def loss(self):
        """The ``loss`` given to ``compile`` (None before, or without one), as Keras."""
        if self._loss_override is not None:
            return self._loss_override
        trainer = getattr(self, "_trainer", None)
        return trainer.compile_args[0] if trainer is not None else None

    @loss.setter
    def loss(self, value):
        self._loss_override = value

    @property
    def metrics(self) -> list:
        """Keras' order: the ``loss`` tracker, ``compile_metrics`` (when compiled with
        metrics), each output's loss tracker (several losses, once trained), then metric
        objects set as attributes of the model."""
        from kgraph.metric_base import Metric
        from kgraph.models.tracked_metrics import model_metrics

        trainer = getattr(self, "_trainer", None)
        found = model_metrics(trainer) if trainer is not None else []
        found += [v for v in vars(self).values() if isinstance(v, Metric) and v not in found]
        return found

    @property
    def metrics_variables(self) -> list:
        """The variables of every metric in :attr:`metrics` (current values)."""
        return [v for metric in self.metrics for v in metric.variables]

    def get_metrics_result(self) -> dict:
        """``{name: result}`` of :attr:`metrics`, a dict result (``compile_metrics``) merged."""
        results = {}
        for metric in self.metrics:
            value = metric.result()
            results.update(value if isinstance(value, dict) else {metric.name: value})
        return results

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of ``y_pred`` against ``y``: each output's loss times its weight,
        plus the model's added losses, as Keras sums them. Traced (a KerasTensor) when a
        ``compute_loss`` override calls it while the training graphs are built, else numpy
        computed eagerly."""
        from kgraph.losses_eager import evaluate_loss
        from kgraph.models.loss_override import compiled_loss

        context = compiled_loss()
        if context is not None:
            return context.value(y, y_pred, sample_weight)
        trainer = getattr(self, "_trainer", None)
        total = np.float32(0.0)
        if trainer is not None and y is not None:
            names = self._target_names()
            ys, preds = _by_output(y, names), _by_output(y_pred, names)
            for spec, target, pred in zip(trainer.specs, ys, preds):
                if spec.name in trainer.user_losses:
                    value = _user_loss(trainer.user_losses[spec.name], target, pred, sample_weight)
                elif spec.loss is not None:
                    value = evaluate_loss(spec.loss, target, pred, sample_weight)
                else:
                    continue
                total = total + np.float32(spec.loss_weight) * np.float32(value)
        for extra in getattr(self, "losses", []):
            total = total + np.float32(np.sum(np.asarray(extra)))
        return np.float32(total)

    def compute_metrics(self, x, y, y_pred, sample_weight=None) -> dict:
        """Updates the compiled metrics with ``y_pred`` against ``y`` (numpy, eagerly) and
        returns :meth:`get_metrics_result`. While a ``compute_metrics`` override is traced
        into the graphs, returns the compiled entries as references (``LogEntry``) and the
        traced results of the model's own metrics."""
        from kgraph.models.loss_override import compiled_loss
        from kgraph.models.metrics_override import compiled_results
        from kgraph.models.tracked_metrics import CompileMetrics

        if compiled_loss() is not None:
            return compiled_results(self)
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                metric.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        raise _not_compiled_step("train_step", type(self).__name__)

    def test_step(self, data):
        raise _not_compiled_step("test_step", type(self).__name__)

    def predict_step(self, data):
        raise _not_compiled_step("predict_step", type(self).__name__)


def _by_output(values, names) -> list:
    """One array per output, in output order (a dict is read by output name)."""
    if isinstance(values, dict):
        return [values[n] for n in names]
    if isinstance(values, (list, tuple)) and len(names) > 1:
        return list(values)
    return [values]


def _user_loss(loss, target, pred, sample_weight):
    """A user's loss function run eagerly: its per-sample values, weighted and averaged over
    the batch (``sum_over_batch_size``) or summed (``sum``)."""
    values = np.asarray(loss.fn(target, pred), np.float32)
    if sample_weight is not None:
        weight = np.asarray(sample_weight, np.float32)
        values = values * weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))
    if loss.reduction == "sum":
        return np.sum(values)
    return np.sum(values) / max(values.size, 1)
