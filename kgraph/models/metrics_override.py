"""A model's own ``compute_metrics``, traced after its loss.

Keras' steps report what ``compute_metrics(x, y, y_pred, sample_weight)`` returns: by default
the results of ``model.metrics``, and an override may update its own trackers and add entries
(``results["gap"] = ops.mean(ops.abs(y - y_pred))``). kgraph traces the override once per graph
(step and eval). Each value it returns becomes an output of the graph and a log entry under its
key. ``super().compute_metrics`` gives the compiled entries (the ``loss`` mean, the compiled
metrics, per-output losses) as :class:`LogEntry` references to what the graph already reports,
since the compiler builds those after the trace; the compiled metrics are updated on the
model's outputs and labels, not on the ``y``/``y_pred`` the override passes.
"""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.compiler.training import TracedMetricState
from kgraph.tensor import KerasTensor


class LogEntry:
    """A log entry the compiled graph reports itself (``loss``, ``mae``...): returned by the
    default ``compute_metrics`` while an override is traced; it can be returned as it is,
    not computed with."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"<LogEntry {self.name!r}>"


def compiled_results(model) -> dict:
    """Keras' ``get_metrics_result`` while tracing: compiled entries as :class:`LogEntry`,
    a tracker updated in the trace as its traced ``result()``."""
    from kgraph.models.listed_logs import compiled_names
    from kgraph.models.tracked_metrics import CompileMetrics, LossTracker

    results = {}
    for metric in model.metrics:
        if isinstance(metric, CompileMetrics):
            results.update({n: LogEntry(n) for n in compiled_names(model._trainer)})
        elif isinstance(metric, LossTracker):
            results[metric.name] = LogEntry(metric.name)
        else:
            results[metric.name] = metric.result()
    return results


def logged_results(model, results, states: dict) -> dict:
    """Maps ``compute_metrics``' dict to log sources: ``{key: name in the graph's logs}``.
    A traced value gets its own output, added to ``states`` (a state-less
    ``TracedMetricState``) under a name no other metric output has."""
    if not isinstance(results, dict):
        raise TypeError(
            f"{type(model).__name__}.compute_metrics must return a dict of metric results. "
            f"Received: {type(results).__name__}"
        )
    logged = {}
    for key, value in results.items():
        if isinstance(value, LogEntry):
            logged[key] = value.name
            continue
        if not (isinstance(value, KerasTensor) and value._value is not None):
            value = ops.convert_to_tensor(np.asarray(value, np.float32))
        name, index = str(key), 1
        while name in states or name in logged.values():
            name, index = f"{key}_{index}", index + 1
        result = ops.cast(value, "float32")._value
        states[name] = TracedMetricState({}, {}, {}, result)
        logged[key] = name
    return logged
