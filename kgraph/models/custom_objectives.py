"""Losses and metrics the user writes with ``kgraph.ops``: a loss function ``fn(y_true, y_pred)``
or a ``keras.losses.Loss`` subclass with its own ``call``, and a metric function
``fn(y_true, y_pred)`` in ``compile(metrics=[...])`` (which Keras averages over the samples, as
its ``MeanMetricWrapper`` does).

The compiler cannot run user code, so the front end traces it: the output's label input is made
here (``compiler.training.label_input``, the same input the built-in losses use), the function
is called on it and on the output as symbolic tensors, and the per-sample values it returns go
to the compiler, which weights and reduces a loss's values as it does a built-in loss's, and
averages a metric's into the ``mean`` accumulators. A user loss's labels are float32, shaped
like the output, or like the targets when only user code reads them (class labels for a softmax
output: ``TrainingPrograms`` makes that label input first, from ``Trainer.label_shapes``).
"""

from __future__ import annotations

from kgraph import ops
from kgraph import trace as tracing
from kgraph.compiler.training import TracedMetricState, label_input
from kgraph.metric_base import Metric
from kgraph.models.sample_weights import weight_tensor
from kgraph.tensor import KerasTensor

SPEC_NAME = "traced"  # the compiler's name for a loss whose values the front end traced


def is_user_metric(item) -> bool:
    """A ``keras.metrics.Metric`` subclass written outside kgraph, with its own
    ``update_state`` (its ``add_variable`` accumulators are traced into the graphs)."""
    if isinstance(item, type) or not isinstance(item, Metric):
        return False
    own = type(item).update_state is not Metric.update_state
    return own and not type(item).__module__.startswith("kgraph.")


class TracedMetric(Metric):
    """``compile()``'s view of a user metric: a function (a ``mean`` of its per-sample
    values) or a ``Metric`` subclass written with ops (its own accumulators).

    Its spec carries ``traced``: a key the trainer maps back to the function (the compiler
    only sees the key and, later, the traced values).
    """

    metric_name = "mean"

    def __init__(self, fn, key):
        name = fn.name if isinstance(fn, Metric) else getattr(fn, "__name__", "metric")
        super().__init__(name=name)
        self.fn, self.key = fn, key

    def spec(self) -> dict:
        return {"name": "mean", "display_name": self.name, "traced": self.key}


def wrap_metrics(items, start: int = 0) -> tuple[list, dict]:
    """``items`` with user metric functions wrapped as :class:`TracedMetric`; returns them and
    ``{key: function}``."""
    from kgraph import metrics

    if items is None or isinstance(items, (str, dict)) or not isinstance(items, (list, tuple)):
        items = [items] if items is not None else []
    wrapped, functions = [], {}
    for item in items:
        user_class = isinstance(item, type) and issubclass(item, Metric)
        if user_class and not item.__module__.startswith("kgraph."):
            item = item()
        if is_user_metric(item):
            key = start + len(functions)
            functions[key] = item
            item = TracedMetric(item, key)
        elif callable(item) and not isinstance(item, (type, Metric)):
            try:
                metrics.get(item)
            except ValueError:
                key = start + len(functions)
                functions[key] = item
                item = TracedMetric(item, key)
        wrapped.append(item)
    return wrapped, functions


class TracedLoss:
    """``compile()``'s view of a user loss: the callable, its name and its reduction."""

    loss_name = SPEC_NAME

    def __init__(self, fn, name, reduction="sum_over_batch_size"):
        self.fn, self.name, self.reduction = fn, name, reduction

    def spec(self) -> dict:
        return {"name": SPEC_NAME, "reduction": self.reduction}


def resolve(identifier):
    """A built-in loss object (``kgraph.losses.get``) or, for user code, a :class:`TracedLoss`."""
    from kgraph import losses
    from kgraph.loss_base import Loss

    if isinstance(identifier, Loss) and type(identifier).call is not Loss.call:
        name = identifier.name or type(identifier).__name__
        return TracedLoss(identifier.call, name, identifier.reduction)
    user_class = isinstance(identifier, type) and issubclass(identifier, Loss)
    if user_class and identifier.call is not Loss.call:
        return resolve(identifier())
    try:
        return losses.get(identifier)
    except ValueError:
        if callable(identifier) and not isinstance(identifier, type):
            return TracedLoss(identifier, getattr(identifier, "__name__", "loss"))
        raise


def trace_losses(trace, builder, user_losses: dict, specs, outputs, shapes) -> dict:
    """Traces each user loss on its output: returns ``{output name: per-sample IR values}``.

    Args:
        trace: The model's active trace (training or evaluation).
        builder: Its graph builder.
        user_losses: Output name -> :class:`TracedLoss`.
        specs: The outputs' ``OutputSpec`` (label input names).
        outputs: The outputs' IR values, in output order.
        shapes: The outputs' symbolic shapes.
    """
    found = {}
    for spec, output, shape in zip(specs, outputs, shapes):
        loss = user_losses.get(spec.name)
        if loss is not None:
            scope = f"loss/{spec.name}/{loss.name}"
            found[spec.name] = _trace(trace, builder, spec, output, shape, loss.fn, scope)
    return found


def trace_metrics(trace, builder, user_metrics: dict, specs, outputs, shapes, prefix) -> dict:
    """Traces each user metric on its output: ``{display name: per-sample values}`` for a
    function, a ``compiler.training.TracedMetricState`` for a ``Metric`` subclass.

    ``user_metrics`` maps a metric's display name to ``(output name, function or metric,
    weighted)``; ``prefix`` names the accumulators (``"metrics/"`` or ``"eval/"``).
    """
    by_output = {s.name: (s, out, shape) for s, out, shape in zip(specs, outputs, shapes)}
    found = {}
    for display, (output_name, fn, weighted) in user_metrics.items():
        where = (trace, builder, *by_output[output_name])
        if isinstance(fn, Metric):
            found[display] = _trace_state(*where, fn, weighted, f"{prefix}{display}/")
        else:
            found[display] = _trace(*where, fn, f"metrics/{display}")
    return found


def _trace_state(trace, builder, spec, output, shape, metric, weighted, prefix):
    """``metric.update_state`` then ``metric.result()`` traced on graph inputs standing for its
    variables; their reset values come from an eager ``reset_state()``."""
    metric.reset_state()
    variables = metric.variables
    inputs = {
        f"{prefix}{v.name}": builder.input(f"{prefix}{v.name}", v.shape, v.dtype) for v in variables
    }
    with tracing.tracing(trace), builder.scope(f"metrics/{metric.name}"):
        for variable, value in zip(variables, inputs.values()):
            trace.bind(variable, value)
        y_true, y_pred = operands(builder, spec, output, shape)
        weight = None
        if weighted:
            weight = weight_tensor(builder)
        metric.update_state(y_true, y_pred, sample_weight=weight)
        updates = {name: trace.bound_value(v) for name, v in zip(inputs, variables)}
        result = ops.cast(ops.convert_to_tensor(metric.result()), "float32")
    if not isinstance(result, KerasTensor):
        raise TypeError(f"The metric '{metric.name}' must compute result() with kgraph.ops.")
    initial = {name: v.numpy() for name, v in zip(inputs, variables)}
    return TracedMetricState(inputs, initial, updates, result._value)


def operands(builder, spec, output, shape):
    """``(y_true, y_pred)`` as symbolic tensors: the output's label input and the output."""
    label = label_input(builder, spec, output)
    y_true = KerasTensor(_dims(label, shape), str(label.dtype.numpy()), value=label)
    return y_true, KerasTensor(shape, str(output.dtype.numpy()), value=output)


def _trace(trace, builder, spec, output, shape, fn, scope):
    """``fn(y_true, y_pred)`` traced on the output's label input and the output: float32."""
    with tracing.tracing(trace):
        y_true, y_pred = operands(builder, spec, output, shape)
        with builder.scope(scope):
            values = fn(y_true, y_pred)
            if not isinstance(values, KerasTensor):
                raise TypeError(
                    f"'{getattr(fn, '__name__', fn)}' must compute its result from y_true and "
                    f"y_pred with kgraph.ops; it returned {type(values).__name__}."
                )
            return ops.cast(values, "float32")._value


def _dims(label, shape) -> tuple:
    """The label's symbolic shape: its own static dims (targets of another shape than the
    output's), else the output's."""
    if label.shape is None:
        return (None, *shape[1:])
    dims = [d if isinstance(d, int) else None for d in label.shape]
    return (
        None,
        *(d if d is not None else w for d, w in zip(dims[1:], shape[1:])),
        *dims[len(shape) :],
    )
