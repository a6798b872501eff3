"""The pieces every training program shares (specs, the program type, the loss and metric
nodes) and the evaluation graph; the step graph itself is built in ``compiler.step``.

Step graph: inputs = batch (``x``…, ``y``…, ``sample_weight``), ``lr``, ``step`` and every state
tensor (trainable parameters, optimizer slots, metric accumulators); outputs = ``loss``, the
metric results and the updated state (``<state>:new``). Trainable parameters are graph inputs;
frozen ones stay initializers, so the step holds no gradient nodes for them. Everything is
standard ``ai.onnx``: forward, loss, reverse-mode gradients and the optimizer update.

Specs for losses, metrics and the optimizer arrive as plain dicts (Keras names and
hyper-parameters), never as front-end objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import onnx_ir as ir
import onnx_ir.passes.common as common

from kgraph.compiler import losses, metrics, serde
from kgraph.compiler.builder import GraphBuilder, typed_like
from kgraph.compiler.metrics import mean as mean_metrics
from kgraph.compiler.passes import layout_passes

NEW = ":new"  # suffix of the output that carries a state tensor's next value
# The metrics Keras computes with ``MeanMetricWrapper``, which weights by the output's mask.
MEAN_KINDS = frozenset(mean_metrics.VALUE_DEFAULTS) - {"root_mean_squared_error", "mean", "sum"}


@dataclasses.dataclass
class TracedMetricState:
    """A metric whose accumulators the front end traced (a user's ``Metric`` subclass): its
    state inputs (named ``<prefix><display name>/<variable>``), their reset values, the values
    one batch's ``update_state`` assigns them, and ``result()`` on those."""

    inputs: dict[str, ir.Value]
    initial: dict[str, np.ndarray]
    updates: dict[str, ir.Value]
    result: ir.Value


def batch_input(b: GraphBuilder, name: str, shape, dtype: str) -> ir.Value:
    """The graph input ``name``, made on first use (the front end may have made it already,
    tracing user code that reads it)."""
    for value in b.graph.inputs:
        if value.name == name:
            return value
    return b.input(name, shape, dtype)


def sample_weight_input(b: GraphBuilder) -> ir.Value:
    """The per-sample weights every training program takes."""
    return batch_input(b, "sample_weight", (None,), "float32")


@dataclasses.dataclass
class OutputSpec:
    """What the trainer asks of one model output."""

    name: str
    loss: dict | None
    loss_weight: float = 1.0
    metrics: list[dict] = dataclasses.field(default_factory=list)
    label_name: str = "y"


@dataclasses.dataclass
class Program:
    """A compiled graph plus the roles of its inputs and outputs, all by name.

    ``fetch`` is what the host reads after each run: ``loss``, then each metric result, then
    each per-output loss; readers look values up by these names, never by position.
    """

    model: ir.Model
    batch_inputs: list[str]
    state: dict[str, str]  # state input -> output carrying its update
    scalar_inputs: list[str]
    initial_state: dict[str, np.ndarray]
    # Keras' metric display name -> the output carrying its result.
    metric_outputs: dict[str, str] = dataclasses.field(default_factory=dict)
    # Keras' per-output loss entries (``"<output>_loss"``), only for several losses: log name
    # -> output. Unweighted by ``loss_weight``, as Keras records them.
    output_losses: dict[str, str] = dataclasses.field(default_factory=dict)
    loss_output: str = "loss"

    @property
    def fetch(self) -> list[str]:
        return [self.loss_output, *self.metric_outputs.values(), *self.output_losses.values()]

    @property
    def metric_names(self) -> list[str]:
        return list(self.metric_outputs)

    def to_bytes(self) -> bytes:
        return serde.to_bytes(self.model, infer_shapes=False, check=True)


def lift_parameters(b: GraphBuilder, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Turns the named parameter initializers into graph inputs; returns their values."""
    values = {}
    for name in names:
        value = b.parameters[name]
        values[name] = value.const_value.numpy().copy()
        b.graph.initializers.pop(name)
        value.const_value = None
        b.graph.inputs.append(value)
    return values


def label_input(b: GraphBuilder, spec: OutputSpec, y_pred: ir.Value) -> ir.Value:
    """The output's label input (made once: the front end makes it first when it traces a
    user loss or metric on it). Integer class labels for a sparse loss, else float32 shaped
    like the output; a traced (user) loss takes float32 labels."""
    for value in b.graph.inputs:
        if value.name == spec.label_name:
            return value
    pred_shape = list(y_pred.shape) if y_pred.shape is not None else [None]
    shape, dtype = losses.label_signature(spec.loss, pred_shape)  # int ids for sparse/CTC
    return b.input(spec.label_name, shape, dtype)


def _scalar_like(b: GraphBuilder, op_type: str, inputs: list[ir.Value]) -> ir.Value:
    """``op_type(*inputs)`` typed like its first input: the total loss is a graph output, which
    the checker wants typed, and the eval graph runs no shape inference."""
    like = inputs[0]
    out = b.op(op_type, inputs)
    out.type, out.shape = ir.TensorType(like.dtype or ir.DataType.FLOAT), like.shape
    return out


class LossGraph:
    """Adds label inputs, the weighted total loss (plus ``extra_loss``) and the metric updates
    of every output to ``b``, with the metric accumulators as state named ``<prefix><name>``.

    A loss spec named ``"traced"`` takes its per-sample values from ``traced_losses`` (by output
    name): a user's loss function the front end traced into ``b`` on the output's label input;
    they are weighted and reduced here like any built-in loss's values. A metric spec with
    ``"traced"`` is what ``traced_metrics`` holds under its display name: per-sample values of
    a user function, averaged here, or a :class:`TracedMetricState` used as it is.

    Attributes:
        loss: The ``loss`` output (total, weighted, penalties included).
        labels: The label input names, in output order.
        metric_outputs: Keras' metric display name -> its result output.
        output_losses: ``<output>_loss`` -> that output's unweighted loss output; empty unless
            several outputs have a loss (as Keras logs them).
        metric_state: Accumulator state name -> its initial (zero) value.
    """

    def __init__(
        self,
        b,
        outputs,
        specs,
        sample_weight,
        prefix,
        extra_loss=None,
        traced_losses=None,
        traced_metrics=None,
        output_masks=None,
    ):
        self.builder, self.prefix, self.sample_weight = b, prefix, sample_weight
        self.masks = dict(output_masks or {})
        self.traced = dict(traced_losses or {})
        self.traced_metrics = dict(traced_metrics or {})
        self.labels, self.metric_outputs, self.metric_state = [], {}, {}
        total, per_output = None, {}
        several = sum(spec.loss is not None for spec in specs) > 1
        for y_pred, spec in zip(outputs, specs):
            if spec.loss is None and not spec.metrics:
                continue
            y_true = label_input(b, spec, y_pred)
            self.labels.append(y_true.name)
            if spec.loss is not None:
                value = self._output_loss(spec, y_true, y_pred, per_output if several else None)
                total = value if total is None else _scalar_like(b, "Add", [total, value])
            for metric in spec.metrics:
                self._add_metric(dict(metric), y_true, y_pred, self.masks.get(spec.name))
        if extra_loss is not None:
            total = extra_loss if total is None else _scalar_like(b, "Add", [total, extra_loss])
        if total is None:
            raise ValueError("compile() needs a loss for at least one output.")
        self.loss = b.output(total, "loss")
        self.output_losses = {
            name: b.output(v, f"{prefix}{name}").name for name, v in per_output.items()
        }

    def _output_loss(self, spec, y_true, y_pred, per_output) -> ir.Value:
        b = self.builder
        mask = self.masks.get(spec.name)
        with b.scope(f"loss/{spec.name}"):
            if spec.loss["name"] == "traced":
                reduction = spec.loss.get("reduction", "sum_over_batch_size")
                values = self.traced[spec.name]
                value = losses.reduce_weighted(b, values, self.sample_weight, reduction, mask)
            elif mask is not None:  # Keras: the output's mask AND the loss's own mask
                _, _, reduction = losses.loss_config(spec.loss)
                with b.scope("loss"):
                    values, own = losses.per_sample_loss(b, spec.loss, y_true, y_pred)
                    mask = mask if own is None else typed_like(b.op("And", [mask, own]), own)
                    value = losses.reduce_weighted(b, values, self.sample_weight, reduction, mask)
            else:
                value = losses.build_loss(b, spec.loss, y_true, y_pred, self.sample_weight)
            if per_output is not None:
                per_output[f"{spec.name}_loss"] = value
            if spec.loss_weight != 1.0:
                weight = b.constant(np.float32(spec.loss_weight))
                value = _scalar_like(b, "Mul", [value, weight])
        return value

    def _add_traced_state(self, display: str, traced: TracedMetricState) -> None:
        b = self.builder
        for name, value in traced.updates.items():
            self.metric_state[name] = traced.initial[name]
            b.output(typed_like(b.op("Identity", [value]), traced.inputs[name]), name + NEW)
        self.metric_outputs[display] = b.output(traced.result, f"{self.prefix}{display}").name

    def _add_metric(self, metric: dict, y_true, y_pred, mask=None) -> None:
        """One metric's accumulators (state in, ``:new`` out) and result output. Only weighted
        metrics see the sample weights, as in Keras; mean metrics also weight by the output's
        Keras ``mask`` (0 where masked), as Keras' ``MeanMetricWrapper`` does."""
        b, prefix = self.builder, self.prefix
        weight = self.sample_weight if metric.pop("weighted", False) else None
        display = metric["display_name"]
        if metric.pop("traced", None) is not None:  # user code, traced by the front end
            traced = self.traced_metrics[display]
            if isinstance(traced, TracedMetricState):
                return self._add_traced_state(display, traced)
            y_pred = traced  # a function's per-sample values: their mean
        elif mask is not None and metrics.metric_config(metric, y_true, y_pred)[0] in MEAN_KINDS:
            weight = mask_weight(b, weight, mask)  # Keras' MeanMetricWrapper: mask as weight
        state = {}
        for short, (shape, dtype) in metrics.metric_state_specs(metric).items():
            state[short] = b.input(f"{prefix}{short}", shape, dtype)
            self.metric_state[f"{prefix}{short}"] = np.zeros(shape, dtype)
        with b.scope(f"metrics/{display}"):
            new_state, result = metrics.build_metric(b, metric, y_true, y_pred, weight, state)
        for short, value in new_state.items():
            b.output(value, f"{prefix}{short}{NEW}")
        self.metric_outputs[display] = b.output(result, f"{prefix}{display}").name


def mask_weight(b: GraphBuilder, weight, mask) -> ir.Value:
    """The float mask, times per-sample ``weight`` (given a trailing axis per extra mask axis)
    when there is one."""
    keep = b.op("Cast", [mask], {"to": ir.DataType.FLOAT})
    keep.type, keep.shape = ir.TensorType(ir.DataType.FLOAT), mask.shape
    if weight is None:
        return keep
    extra = len(mask.shape) - len(weight.shape)
    if extra > 0:
        axes = np.arange(len(weight.shape), len(mask.shape), dtype=np.int64)
        weight = b.op("Unsqueeze", [weight, b.constant(axes)])
        weight.type, weight.shape = ir.TensorType(ir.DataType.FLOAT), None
    out = b.op("Mul", [weight, keep])
    out.type, out.shape = ir.TensorType(ir.DataType.FLOAT), mask.shape
    return out


def build_eval(
    b: GraphBuilder,
    outputs: Sequence[ir.Value],
    specs: Sequence[OutputSpec],
    state_names: Sequence[str],
    input_names: Sequence[str],
    metadata: Mapping[str, str] | None = None,
    producer_version: str = "",
    extra_loss: ir.Value | None = None,
    traced_losses: Mapping[str, ir.Value] | None = None,
    traced_metrics: Mapping[str, ir.Value] | None = None,
    output_masks: Mapping[str, ir.Value] | None = None,
) -> Program:
    """The evaluation program: loss and metric accumulators; ``state_names`` (the parameters
    that training changes) are read as inputs, so it sees the engine's live state.
    ``extra_loss``, ``traced_losses``, ``traced_metrics`` and ``output_masks`` are used as in
    the step graph (``compiler.step``)."""
    initial = lift_parameters(b, state_names)
    sample_weight = sample_weight_input(b)
    graph = LossGraph(
        b,
        outputs,
        specs,
        sample_weight,
        "eval/",
        extra_loss,
        traced_losses,
        traced_metrics,
        output_masks,
    )
    model = finish_model(b, metadata, producer_version)
    initial.update(graph.metric_state)
    return Program(
        model,
        [*input_names, *graph.labels, "sample_weight"],
        {name: name + NEW for name in graph.metric_state},
        [],
        initial,
        graph.metric_outputs,
        graph.output_losses,
    )


def finish_model(b: GraphBuilder, metadata, producer_version) -> ir.Model:
    """The builder's graph as a model, after the layout passes and dead-node removal."""
    model = serde.to_model(b.graph, metadata, producer_version)
    ir.passes.PassManager(
        [*layout_passes(), common.RemoveUnusedNodesPass(), common.TopologicalSortPass()]
    )(model)
    return model
