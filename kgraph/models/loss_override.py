"""A model's own ``compute_loss``, traced into the step and eval graphs.

Keras recommends overriding ``compute_loss(x, y, y_pred, sample_weight, training)`` for a
custom loss (a VAE's reconstruction plus KL terms, an extra penalty on top of the compiled
loss). kgraph cannot run Python inside a step, but an override written with ``kgraph.ops`` and
kgraph losses is traceable: it is called once per graph on symbolic tensors (the model's
inputs, its label inputs, its traced outputs and the sample weights), and what it returns
becomes the graph's loss. ``super().compute_loss`` gives the compiled loss (the ``compile()``
losses with their weights, plus the model's regularization and activity losses) as traced
values. Metrics updated during that call (``self.tracker.update_state(value)``: kgraph's
metrics, or a user ``Metric`` subclass written with ops) become accumulators of the graph, reset
at each epoch as Keras resets ``model.metrics``.

The override runs at graph-build time, once for training and once for evaluation, never per
batch: Python control flow on tensor values is not possible, as in any traced Keras function.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import inspect

import numpy as np

from kgraph import ops
from kgraph import trace as tracing
from kgraph.compiler import losses as closses
from kgraph.compiler.builder import typed_like
from kgraph.compiler.training import NEW, TracedMetricState
from kgraph.metric_base import recording
from kgraph.models.custom_objectives import SPEC_NAME, is_user_metric, operands
from kgraph.models.metric_recorder import MetricRecorder
from kgraph.models.sample_weights import weight_tensor
from kgraph.tensor import KerasTensor
from kgraph.utils import tree

_CONTEXT: contextvars.ContextVar = contextvars.ContextVar("kgraph_compute_loss", default=None)


def overrides(model, name: str) -> bool:
    """Whether the model's class overrides Keras' ``name`` method or property."""
    from kgraph.models.compiled_attributes import CompiledAttributes

    return getattr(type(model), name) is not getattr(CompiledAttributes, name)


def compiled_loss():
    """The :class:`CompiledLoss` of the overrides being traced (None outside them): what the
    default ``compute_loss`` computes when it is given traced tensors (and, with it, the
    default ``compute_metrics`` answers with the compiled entries)."""
    return _CONTEXT.get()


class CompiledLoss:
    """The compiled loss on traced tensors: each output's loss times its weight, plus the
    model's penalties, as the step graph computes it without an override."""

    def __init__(self, builder, specs, outputs, masks, user_losses, penalty):
        self.builder, self.specs, self.outputs = builder, specs, outputs
        self.masks, self.user_losses, self.penalty = masks, user_losses, penalty

    def value(self, y, y_pred, sample_weight) -> KerasTensor:
        """Keras' ``compute_loss``: the compiled loss when ``y`` is given, then the penalties;
        0 when there is neither."""
        b, total = self.builder, None
        names = [s.name for s in self.specs]
        weight = None if sample_weight is None else _value(b, sample_weight)
        if y is not None:
            items = zip(self.specs, _by_output(y, names), _by_output(y_pred, names))
            for index, (spec, target, pred) in enumerate(items):
                if spec.loss is None or target is None:
                    continue
                value = self._output_loss(index, spec, target, pred, weight)
                total = value if total is None else total + value
        if self.penalty is not None:
            penalty = KerasTensor((), "float32", value=self.penalty)
            total = penalty if total is None else total + penalty
        return total if total is not None else ops.zeros((), "float32")

    def _output_loss(self, index, spec, target, pred, weight) -> KerasTensor:
        b = self.builder
        y_true, y_pred = _value(b, target), _value(b, pred)
        mask = self.masks[index] if y_pred is self.outputs[index] else None
        with b.scope(f"loss/{spec.name}"):
            if spec.loss["name"] == SPEC_NAME:
                loss = self.user_losses[spec.name]
                values = ops.cast(loss.fn(target, pred), "float32")._value
                value = closses.reduce_weighted(b, values, weight, loss.reduction, mask)
            elif mask is not None:  # Keras: the output's mask AND the loss's own mask
                _, _, reduction = closses.loss_config(spec.loss)
                values, own = closses.per_sample_loss(b, spec.loss, y_true, y_pred)
                if own is not None:
                    mask = typed_like(b.op("And", [mask, own]), own)
                value = closses.reduce_weighted(b, values, weight, reduction, mask)
            else:
                value = closses.build_loss(b, spec.loss, y_true, y_pred, weight)
        value = KerasTensor((), "float32", value=value)
        return value * np.float32(spec.loss_weight) if spec.loss_weight != 1.0 else value


@contextlib.contextmanager
def _active(context: CompiledLoss):
    token = _CONTEXT.set(context)
    try:
        yield context
    finally:
        _CONTEXT.reset(token)


def trace_overrides(model, trace, specs, outputs, user_losses, penalty, prefix, every_label=False):
    """Calls the model's ``compute_loss`` and ``compute_metrics`` overrides on the traced
    graph; returns ``(loss, labels, states, logged, loaders)``: the float32 scalar loss (None
    without a ``compute_loss`` override), the label inputs read (to feed), ``{display name:
    TracedMetricState}`` of the metrics updated (their updates and results already marked as
    graph outputs, see :func:`add_metric_states`), and ``compute_metrics``' log entries as
    ``{key: output's metric name}`` (None without that override), and functions that load
    a graph state's accumulators into the metric objects (``MetricRecorder.loaders``).

    ``y`` holds the label inputs of the outputs a compiled loss or metric reads, or of every
    output with ``every_label`` (``fit(x, y)`` of a model compiled without a loss); it is None
    when there are none (``fit(x)`` without targets); ``sample_weight`` is the graph's per-sample
    weights (ones when ``fit`` got none).
    """
    from kgraph.models.metrics_override import logged_results

    b = trace.builder
    shapes = [t.shape for t in model._output_specs()]
    preds = [KerasTensor(shape, _dtype(v), value=v) for shape, v in zip(shapes, outputs)]
    labels = [
        operands(b, spec, out, shape)[0]
        if every_label or spec.loss is not None or spec.metrics
        else None
        for spec, out, shape in zip(specs, outputs, shapes)
    ]
    masks = list(getattr(trace, "output_masks", None) or [None] * len(outputs))
    context = CompiledLoss(b, specs, outputs, masks, user_losses, penalty)
    recorder = MetricRecorder(trace, prefix)
    recorder.bind([m for m in _model_metrics(model) if is_user_metric(m)])
    loss = logged = None
    with tracing.tracing(trace), recording(recorder), _active(context), b.scope("compute_loss"):
        x = _pack(getattr(model, "_inputs_struct", None), _inputs(model, b))
        y = _pack_outputs(model, labels) if any(t is not None for t in labels) else None
        y_pred = _pack_outputs(model, preds)
        weight = weight_tensor(b)
        if overrides(model, "compute_loss"):
            extra = {}
            if "training" in inspect.signature(model.compute_loss).parameters:
                extra["training"] = trace.training
            loss = _checked_loss(model, model.compute_loss(x, y, y_pred, weight, **extra))
        if overrides(model, "compute_metrics"):
            results = model.compute_metrics(x, y, y_pred, weight)
        states = recorder.states()
        if overrides(model, "compute_metrics"):
            logged = logged_results(model, results, states)
    _mark_outputs(b, states, prefix)
    names = [t._value.name for t in labels if t is not None]
    return loss, names, states, logged, recorder.loaders(states)


def target_specs(model, specs, y) -> tuple[list, bool]:
    """``(specs to prepare targets by, with_targets)``. A model overriding ``compute_loss`` or
    ``compute_metrics`` gets every output's targets as its ``y`` when ``y`` is given, even
    where no compiled loss or metric reads them (Keras passes ``y`` through): such specs are
    marked as read, and the programs then take every label (``with_targets``)."""
    custom = overrides(model, "compute_loss") or overrides(model, "compute_metrics")
    if not custom or y is None:
        return specs, False
    unread = [{"name": "override_targets"}]  # read by the override, not a compiled metric
    return [
        s if s.loss or s.metrics else dataclasses.replace(s, metrics=unread) for s in specs
    ], True


def _checked_loss(model, loss):
    if not isinstance(loss, KerasTensor) or loss._value is None:
        raise TypeError(
            f"{type(model).__name__}.compute_loss must compute its loss from its arguments "
            f"with kgraph.ops (it is traced into the training graph); it returned "
            f"{type(loss).__name__}."
        )
    if len(loss.shape) != 0:
        raise ValueError(
            f"{type(model).__name__}.compute_loss must return a scalar loss. "
            f"Received: loss of shape {tuple(loss.shape)}"
        )
    return ops.cast(loss, "float32")._value


def _mark_outputs(b, states: dict, prefix: str) -> None:
    """Each accumulator's next value (``<state>:new``) and each result become graph outputs."""
    for display, state in states.items():
        for name, value in state.updates.items():
            b.output(typed_like(b.op("Identity", [value]), state.inputs[name]), name + NEW)
        result = typed_like(b.op("Identity", [state.result]), state.result)
        b.output(result, f"{prefix}{display}")


def add_metric_states(program, labels, states: dict, prefix: str) -> None:
    """Gives a compiled program the label inputs and accumulators the override's trace made:
    its batch inputs, state (reset with the compiled metrics'), and metric outputs."""
    for name in labels:
        if name not in program.batch_inputs:
            program.batch_inputs.insert(program.batch_inputs.index("sample_weight"), name)
    for display, state in states.items():
        for name in state.updates:
            program.state[name] = name + NEW
            program.initial_state[name] = state.initial[name]
        program.metric_outputs[display] = f"{prefix}{display}"


def _model_metrics(model) -> list:
    """The metric objects the override may update: the model's ``metrics`` and its metric
    attributes."""
    from kgraph.metric_base import Metric

    found = [v for v in vars(model).values() if isinstance(v, Metric)]
    listed = model.metrics if overrides(model, "metrics") else []
    return found + [m for m in listed if isinstance(m, Metric) and m not in found]


def _inputs(model, b) -> list:
    by_name = {v.name: v for v in b.graph.inputs}
    specs = model._trace_inputs()
    return [
        KerasTensor(spec.shape, spec.dtype, name=name, value=by_name[name])
        for name, spec in zip(model.input_names, specs)
    ]


def _pack(structure, flat: list):
    if structure is not None:
        return tree.pack_like(structure, flat)
    return flat[0] if len(flat) == 1 else flat


def _pack_outputs(model, flat: list):
    """``y``/``y_pred`` structured as the model's outputs (a dict by target name, a list, or
    one tensor)."""
    structure = getattr(model, "_outputs_struct", None)
    if isinstance(structure, dict):
        return dict(zip(model._target_names(), flat))
    return flat[0] if len(flat) == 1 else list(flat)


def _by_output(values, names) -> list:
    if isinstance(values, dict):
        return [values.get(n) for n in names]
    if isinstance(values, (list, tuple)) and len(names) > 1:
        return list(values)
    return [values]


def _value(b, x):
    """The IR value of a traced tensor, or a float32 constant of an array."""
    if isinstance(x, KerasTensor) and x._value is not None:
        return x._value
    return b.constant(np.asarray(x, np.float32))


def _dtype(value) -> str:
    return str(value.dtype.numpy())


__all__ = [
    "CompiledLoss",
    "TracedMetricState",
    "add_metric_states",
    "compiled_loss",
    "overrides",
    "trace_overrides",
]
