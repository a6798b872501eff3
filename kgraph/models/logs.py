"""What ``fit``, ``evaluate`` and the ``*_on_batch`` methods report: the loss means, metric
results and per-output losses fetched from the compiled programs, named and ordered as Keras
names and orders them.
"""

from __future__ import annotations


def returned(results: dict, return_dict: bool, names: list[str]):
    """Keras' return value: the dict, or the values in the order of Keras'
    ``Trainer._flatten_metrics_in_order``: each of ``names`` (``metrics_names``; a name listed
    twice gives its value twice, as in Keras) found in ``results``, then the remaining keys
    sorted; a single value is returned alone."""
    if return_dict:
        return results
    values = [results[n] for n in names if n in results]
    values += [results[k] for k in sorted(results) if k not in names]
    return values if len(values) > 1 else values[0]


def metrics_names(specs, loss_order=None) -> list[str]:
    """The names Keras' ``_flatten_metrics_in_order`` orders results by: the loss, every
    compiled metric under its own name (without the output prefix, and without the
    ``weighted_`` a weighted metric gets when its name is taken), then the per-output losses
    (in output order, or in ``loss_order``: output names as Keras orders a dict-output model's
    losses, by the loss dict).
    """
    names = ["loss"]
    for spec in specs:
        prefix = f"{spec.name}_" if len(specs) > 1 else ""
        shown = set()
        for metric in spec.metrics:
            display = metric["display_name"]
            name = display[len(prefix) :]
            if (
                metric.get("weighted")
                and name.startswith("weighted_")
                and prefix + name[len("weighted_") :] in shown
            ):
                name = name[len("weighted_") :]
            shown.add(display)
            names.append(name)
    if sum(spec.loss is not None for spec in specs) > 1:
        if loss_order:
            specs = sorted(specs, key=lambda spec: loss_order.index(spec.name))
        names += [f"{spec.name}_loss" for spec in specs if spec.loss is not None]
    return names


def metric_logs(program, out) -> dict:
    """The metric results a step or eval run fetched, by Keras name."""
    # per-threshold / per-class results (F1Score, Precision(thresholds=[...])) stay arrays
    return {
        n: float(v) if (v := out[k]).ndim == 0 else v for n, k in program.metric_outputs.items()
    }


def losses(program, out) -> dict:
    """The total loss and, for several losses, each output's loss (``<output>_loss``)."""
    return {"loss": float(out[program.loss_output])} | {
        name: float(out[key]) for name, key in program.output_losses.items()
    }


class LossMeans:
    """Keras' loss trackers: the means of the total and per-output losses over the batches
    seen, each batch weighted by its number of samples."""

    def __init__(self):
        self.seen, self.sums = 0, {}

    def update(self, losses: dict, n: int) -> None:
        self.seen += n
        for name, value in losses.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * n

    def logs(self, program, out) -> dict:
        """``loss``, the metrics, then the per-output losses: the order of Keras' logs."""
        means = {name: total / self.seen for name, total in self.sums.items()}
        return {"loss": means.pop("loss"), **metric_logs(program, out), **means}
