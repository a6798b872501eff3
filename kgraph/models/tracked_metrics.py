"""``model.metrics`` as Keras lists it: the loss tracker ``Mean`` named ``loss``, the
``CompileMetrics`` wrapper of the compiled metrics, then (multi-output) one loss tracker per
output.

kgraph accumulates these inside the compiled step and eval graphs, so these objects are views:
they read the results of the last training epoch, ``evaluate`` or ``*_on_batch`` call (the
trainer's :class:`Tracked` record), as Keras' metric objects hold the state of the last loop
that ran. ``reset_state`` zeroes what a view shows until the next loop; ``compute_metrics``
updates the compiled metrics eagerly (numpy in, the compiler's metric graphs run in
onnxruntime).
"""

from __future__ import annotations

import numpy as np

from kgraph.metric_base import Metric
from kgraph.tensor import Variable


class Tracked:
    """What the last loop left: its loss means (``LossMeans``), the program and outputs of its
    last run, and its metric accumulators (a dict, or None for the engine's ``metrics/``)."""

    def __init__(self, means, state=None):
        self.means, self.state = means, state
        self.fetch = None  # (program, outputs) of the last run
        self.eager: dict | None = None  # display name -> (spec, state) after compute_metrics


def _variables(prefix: str, state: dict) -> list:
    return [
        Variable(np.asarray(v), trainable=False, name=n.rsplit("/", 1)[-1], path=prefix + n)
        for n, v in state.items()
    ]


class _View(Metric):
    """A metric whose state lives in the trainer's last :class:`Tracked` record."""

    def __init__(self, trainer, name):
        super().__init__(name=name)
        self._trainer = trainer
        self._cleared = None  # the record this view was reset on

    def _record(self) -> Tracked | None:
        record = self._trainer.tracked
        return None if record is None or record is self._cleared else record

    def reset_state(self):
        """Zeroes the shown results until the next ``fit``/``evaluate`` (as Keras' reset)."""
        self._cleared = self._trainer.tracked

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(
            f"The model's '{self.name}' metric is updated by the compiled step graph; kgraph "
            "cannot update it by hand (model.compute_metrics() updates the compiled metrics)."
        )


class LossTracker(_View):
    """Keras' ``Mean`` loss tracker: ``total`` (sum of batch loss x batch size), ``count``."""

    def __init__(self, trainer, name="loss", path_prefix=""):
        super().__init__(trainer, name)
        self._path = f"{path_prefix}{name}/"

    def _totals(self) -> tuple[float, float]:
        record = self._record()
        if record is None or not record.means.seen:
            return 0.0, 0.0
        return record.means.sums.get(self.name, 0.0), float(record.means.seen)

    def result(self):
        total, count = self._totals()
        return np.float32(total / count if count else 0.0)

    @property
    def variables(self) -> list:
        total, count = self._totals()
        state = {"total": np.float32(total), "count": np.float32(count)}
        return _variables(self._path, state)


class CompileMetrics(_View):
    """Keras' wrapper of the compiled metrics: ``result()`` is a dict by metric name."""

    def __init__(self, trainer):
        super().__init__(trainer, "compile_metrics")

    def _names(self) -> list[str]:
        return [n for n in self._trainer.built_programs().step.metric_outputs if self._own(n)]

    def _own(self, name: str) -> bool:
        """Whether ``name`` is a compiled metric's (not a tracker that a ``compute_loss`` or
        ``compute_metrics`` override updated, which the graphs also output)."""
        from kgraph.models.listed_logs import compiled_names

        return name in compiled_names(self._trainer)

    def result(self):
        record = self._trainer.tracked
        if record is None:
            raise ValueError("Cannot get result() since the metric has not yet been built.")
        if self._record() is None:
            return {n: np.float32(0.0) for n in self._names()}
        if record.eager is None and record.fetch is None:  # an epoch that ran no batch
            return {n: np.float32(0.0) for n in self._names()}
        if record.eager is not None:
            from kgraph.losses_eager import metric_state_result

            return {n: _scalar(metric_state_result(s, st)) for n, (s, st) in record.eager.items()}
        program, out = record.fetch
        outputs = program.metric_outputs.items()
        return {n: _scalar(out[key]) for n, key in outputs if self._own(n)}

    def _accumulators(self) -> dict:
        """The accumulators, by ``<metric>/<variable>``."""
        record = self._record()
        if record is None:
            return {}
        if record.eager is not None:
            return {k: v for _, state in record.eager.values() for k, v in state.items()}
        if record.state is not None:
            return {k.split("/", 1)[1]: v for k, v in record.state.items()}
        found = self._trainer.engine.get_state()
        return {k[len("metrics/") :]: v for k, v in found.items() if k.startswith("metrics/")}

    @property
    def variables(self) -> list:
        return _variables("", self._accumulators())

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates a batch eagerly into every compiled built-in metric (Keras'
        ``compute_metrics`` calls this), continuing from the last loop's state."""
        from kgraph.compiler.metrics import complete_spec
        from kgraph.losses_eager import metric_state, metric_state_update
        from kgraph.utils import tree

        trainer = self._trainer
        state = self._accumulators()
        record = Tracked(self._record().means if self._record() else _NoMeans())
        record.eager = {}
        ys, preds = tree.flatten(y_true), tree.flatten(y_pred)
        for spec, y, pred in zip(trainer.specs, ys, preds):
            for metric in spec.metrics:
                if metric["display_name"] in trainer.user_metrics:
                    raise NotImplementedError(
                        "model.compute_metrics() updates kgraph's built-in metrics only. "
                        f"Received a custom metric: {metric['display_name']}"
                    )
                full = complete_spec(
                    {k: v for k, v in metric.items() if k != "weighted"}, np.shape(pred)
                )
                name = metric["display_name"]
                start = metric_state(full)
                start = {k: state.get(k, v) for k, v in start.items()}  # by <name>/<var>
                weight = sample_weight if metric.get("weighted") else None
                new = metric_state_update(full, start, y, pred, weight)
                record.eager[name] = (full, new)
        trainer.tracked = record


class _NoMeans:
    seen, sums = 0, {}


def _scalar(value):
    value = np.asarray(value)
    return np.float32(value) if value.ndim == 0 else value


def model_metrics(trainer) -> list:
    """``model.metrics`` for a compiled model: the views, created once per compile."""
    views = trainer.metric_views
    if not views:
        compile_metrics = trainer.compile_args[2] or trainer.compile_args[3]
        views["loss"] = LossTracker(trainer)
        if compile_metrics:
            views["compile_metrics"] = CompileMetrics(trainer)
    if trainer.tracked is not None:  # the per-output loss trackers exist once built, as Keras
        names = list(trainer.built_programs().step.output_losses)
        if trainer.loss_order:  # a dict-output model's losses, in its loss dict's order
            names.sort(key=lambda name: trainer.loss_order.index(name[: -len("_loss")]))
        for name in names:
            views.setdefault(name, LossTracker(trainer, name, "compile_loss/"))
    return list(views.values())
