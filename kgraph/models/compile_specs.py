"""What ``Model.compile`` turns its arguments into: one ``OutputSpec`` per model output.

Losses and loss weights may be given once for every output, as a list in output order, or as a
dict keyed by output name, as in Keras. Metrics follow Keras' ``CompileMetrics``: with one
output every metric applies to it; with several, a list holds one entry per output and a dict
names the outputs that get metrics. Metric names are resolved against each output's loss and
shape (``"accuracy"`` becomes the sparse, categorical or binary variant) and prefixed with the
output name when the model has several outputs.
"""

from __future__ import annotations

from kgraph import metrics as metrics_
from kgraph.models import custom_objectives


def _per_output(value, names, what):
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"{what} has keys {unknown} that are not outputs {names}.")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} entries for {len(names)} outputs.")
        return list(value)
    return [value] * len(names)


def _flatten(value) -> list:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def _per_output_metrics(value, names, what):
    """Each output's metrics, as Keras' ``CompileMetrics`` assigns them.

    Nothing (None or empty) means no metrics. With one output, every metric applies to it. With
    several, ``value`` is a list with one entry (a metric or a list of metrics) per output, or
    a dict keyed by output names (missing outputs get none).
    """
    if value is None or (isinstance(value, (list, tuple, dict)) and not value):
        return [None] * len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"{what} has keys {unknown} that are not outputs {names}.")
        if len(names) == 1:
            return [value.get(names[0])]
        return [value.get(n) for n in names]
    if len(names) == 1:
        return [_flatten(value)]
    if isinstance(value, (list, tuple)) and len(value) == len(names):
        return list(value)
    raise ValueError(
        f"{what} must be a list with one entry (a metric or a list of metrics) per output, or "
        f"a dict keyed by output names, for a model with outputs {names}. Received: "
        f"{what}={value!r}"
    )


def loss_order(outputs, loss, names) -> list[str] | None:
    """The order Keras lists per-output losses in when it is not the outputs' order: a model
    built with a dict of outputs and compiled with a dict of losses lists them in the loss
    dict's order. None: output order."""
    if not (isinstance(outputs, dict) and isinstance(loss, dict)):
        return None
    order = [key for key in loss if key in names]
    return order + [name for name in names if name not in order]


def output_train_specs(
    names,
    shapes,
    loss,
    loss_weights,
    metrics,
    weighted_metrics,
    user_metrics=None,
    user_losses=None,
):
    """Builds the compiler's per-output training specs from ``compile()``'s arguments.

    Args:
        names: The model's output names.
        shapes: The outputs' symbolic shapes, in the same order.
        loss, loss_weights, metrics, weighted_metrics: As given to ``Model.compile``.
        user_metrics: A dict filled with ``{display name: (output name, function or metric,
            weighted)}`` for the metrics that are the user's own code (traced by the front
            end).
        user_losses: A dict filled with ``{output name: TracedLoss}`` for the outputs whose
            loss is the user's own code.

    Returns:
        A list of ``compiler.training.OutputSpec``.

    Raises:
        ValueError: for unknown names, per-output values of the wrong length or keys, or no loss.
    """
    from kgraph.compiler.training import OutputSpec

    loss_list = [custom_objectives.resolve(x) for x in _per_output(loss, names, "loss")]
    weights = (
        _per_output(loss_weights, names, "loss_weights")
        if loss_weights is not None
        else [1.0] * len(names)
    )
    metric_lists = _per_output_metrics(metrics, names, "metrics")
    weighted_lists = _per_output_metrics(weighted_metrics, names, "weighted_metrics")
    specs, taken = [], set()
    for i, (name, lo, w) in enumerate(zip(names, loss_list, weights)):
        prefix = f"{name}_" if len(names) > 1 else ""
        loss_name = lo.loss_name if lo else None
        if isinstance(lo, custom_objectives.TracedLoss) and user_losses is not None:
            user_losses[name] = lo
        plain, functions = custom_objectives.wrap_metrics(metric_lists[i])
        weighted, more = custom_objectives.wrap_metrics(weighted_lists[i], len(functions))
        functions.update(more)
        metric_specs = metrics_.compile_specs(plain, weighted, prefix, loss_name, shapes[i], taken)
        for spec in metric_specs:
            if spec.get("traced") is not None and user_metrics is not None:
                found = functions[spec["traced"]]
                user_metrics[spec["display_name"]] = (name, found, spec.get("weighted", False))
        label = "y" if len(names) == 1 else f"y/{name}"
        weight = float(w if w is not None else 1.0)
        specs.append(OutputSpec(name, lo.spec() if lo else None, weight, metric_specs, label))
    return specs  # no loss at all is fine for a model with added losses (checked at fit)
