"""Logs named by ``model.metrics``, as Keras' ``get_metrics_result`` names them.

Keras' ``fit`` and ``evaluate`` report ``compute_metrics``' result: one entry per metric in
``model.metrics`` (the ``loss`` tracker, the compiled metrics, per-output losses, then the
model's own metric trackers). kgraph's logs come from the compiled graphs' outputs; when a
model lists its own ``metrics`` (a VAE's ``[total_loss_tracker, kl_loss_tracker]``) its logs
hold those entries only, in that order, as in Keras (no ``loss`` unless listed); a model
overriding ``compute_metrics`` logs the entries that override returns.
"""

from __future__ import annotations


def compiled_names(trainer) -> list[str]:
    """The display names of the compiled metrics, in output order."""
    return [metric["display_name"] for spec in trainer.specs for metric in spec.metrics]


def listed_names(trainer) -> list[str]:
    """The log names of ``model.metrics``, a ``CompileMetrics`` expanded to its metrics (the
    order Keras' ``_flatten_metrics_in_order`` uses)."""
    from kgraph.models.tracked_metrics import CompileMetrics

    names = []
    for metric in trainer.model.metrics:
        if isinstance(metric, CompileMetrics):
            names += compiled_names(trainer)
        else:
            names.append(metric.name)
    return names


def result_order(trainer, default: list[str]) -> list[str]:
    """The order of ``evaluate``'s list: ``default`` (kgraph's compiled names) then the
    model's own metrics; a model that lists its ``metrics`` gives that order."""
    from kgraph.models.loss_override import overrides
    from kgraph.models.tracked_metrics import CompileMetrics, LossTracker

    if overrides(trainer.model, "metrics") or overrides(trainer.model, "compute_metrics"):
        return listed_names(trainer)
    views = (CompileMetrics, LossTracker)
    own = [m.name for m in trainer.model.metrics if not isinstance(m, views)]
    return default + [n for n in own if n not in default]


class ListedLogs:
    """A loop's ``LossMeans`` whose logs keep the entries ``model.metrics`` names, in that
    order (everything else of the means, ``seen`` and ``sums``, passes through)."""

    def __init__(self, means, trainer):
        self.means, self.trainer = means, trainer

    def __getattr__(self, name):
        return getattr(self.means, name)

    def update(self, losses: dict, n: int) -> None:
        self.means.update(losses, n)

    def logs(self, program, out) -> dict:
        found = self.means.logs(program, out)
        logged = self.trainer.built_programs().log_names(program)
        if logged is not None:  # what compute_metrics returned, by its keys
            return {key: found[name] for key, name in logged.items() if name in found}
        return {name: found[name] for name in listed_names(self.trainer) if name in found}
