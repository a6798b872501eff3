"""Builds the training step graph and the evaluation graph from a traced forward graph.

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
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import onnx_ir as ir
import onnx_ir.passes.common as common

from kgraph.compiler import losses, metrics, optim, serde
from kgraph.compiler.autodiff import gradients
from kgraph.compiler.builder import GraphBuilder, typed_like
from kgraph.compiler.passes import forward_layout_passes, layout_passes

NEW = ":new"  # suffix of the output that carries a state tensor's next value


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
    """A compiled graph plus the roles of its inputs and outputs (see runtime.StepSpec)."""

    model: ir.Model
    batch_inputs: list[str]
    state: dict[str, str]  # state input -> output carrying its update
    scalar_inputs: list[str]
    fetch: list[str]
    initial_state: dict[str, np.ndarray]
    metric_names: list[str]
    # Keras' per-output loss entries (``"<output>_loss"``), only for several losses: log name
    # -> fetched output. Unweighted by ``loss_weight``, they follow the metrics in ``fetch``.
    output_losses: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return serde.to_bytes(self.model, infer_shapes=False, check=True)


def _lift_parameters(b: GraphBuilder, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Turns the named parameter initializers into graph inputs; returns their values."""
    values = {}
    for name in names:
        value = b.parameters[name]
        values[name] = value.const_value.numpy().copy()
        b.graph.initializers.pop(name)
        value.const_value = None
        b.graph.inputs.append(value)
    return values


def _scalar_input(b: GraphBuilder, name: str) -> ir.Value:
    return b.input(name, (), "float32")


def _label_input(b: GraphBuilder, spec: OutputSpec, y_pred: ir.Value) -> ir.Value:
    pred_shape = list(y_pred.shape) if y_pred.shape is not None else [None]
    if spec.loss and "sparse" in spec.loss["name"]:
        return b.input(spec.label_name, [None, *pred_shape[1:-1]], "int64")
    return b.input(spec.label_name, [None, *pred_shape[1:]], "float32")


def _scalar_like(b: GraphBuilder, op_type: str, inputs: list[ir.Value]) -> ir.Value:
    """``op_type(*inputs)`` typed like its first input: the total loss is a graph output, which
    the checker wants typed, and the eval graph runs no shape inference."""
    like = inputs[0]
    out = b.op(op_type, inputs)
    out.type, out.shape = ir.TensorType(like.dtype or ir.DataType.FLOAT), like.shape
    return out


def _loss_and_metrics(
    b, outputs, specs, sample_weight, state_inputs, state_values, prefix, extra_loss=None
):
    """Adds label inputs, the weighted total loss (plus ``extra_loss``) and metric updates.

    Returns ``(loss, metric results, label inputs, per-output losses)``: the last maps Keras'
    log name ``<output>_loss`` to the output carrying that output's loss before its
    ``loss_weight`` (as Keras records it); it is empty unless several outputs have a loss.
    """
    total, results = None, {}
    labels, per_output = [], {}
    several = sum(spec.loss is not None for spec in specs) > 1
    for y_pred, spec in zip(outputs, specs):
        if spec.loss is None and not spec.metrics:
            continue
        y_true = _label_input(b, spec, y_pred)
        labels.append(y_true.name)
        if spec.loss is not None:
            with b.scope(f"loss/{spec.name}"):
                value = losses.build_loss(b, spec.loss, y_true, y_pred, sample_weight)
                if several:
                    per_output[f"{spec.name}_loss"] = value
                if spec.loss_weight != 1.0:
                    weight = b.constant(np.float32(spec.loss_weight))
                    value = _scalar_like(b, "Mul", [value, weight])
            total = value if total is None else _scalar_like(b, "Add", [total, value])
        for metric in spec.metrics:
            metric = dict(metric)  # only weighted metrics see the sample weights (as in Keras)
            weight = sample_weight if metric.pop("weighted", False) else None
            display = metric["display_name"]
            names = metrics.metric_state_specs(metric)
            state = {}
            for short, (shape, dtype) in names.items():
                full = f"{prefix}{short}"
                state[short] = b.input(full, shape, dtype)
                state_inputs[full] = state[short]
                state_values[full] = np.zeros(shape, dtype)
            with b.scope(f"metrics/{display}"):
                new_state, result = metrics.build_metric(b, metric, y_true, y_pred, weight, state)
            for short, value in new_state.items():
                b.output(value, f"{prefix}{short}{NEW}")
            results[display] = b.output(result, f"{prefix}{display}").name
    if extra_loss is not None:
        total = extra_loss if total is None else _scalar_like(b, "Add", [total, extra_loss])
    if total is None:
        raise ValueError("compile() needs a loss for at least one output.")
    loss = b.output(total, "loss")
    per_output = {name: b.output(v, f"{prefix}{name}").name for name, v in per_output.items()}
    return loss, results, labels, per_output


def build_step(
    b: GraphBuilder,
    outputs: Sequence[ir.Value],
    specs: Sequence[OutputSpec],
    optimizer: Mapping,
    trainable: Sequence[str],
    input_names: Sequence[str],
    metadata: Mapping[str, str] | None = None,
    producer_version: str = "",
    expose_gradients: bool = False,
    state_updates: Mapping[str, ir.Value] | None = None,
    extra_loss: ir.Value | None = None,
    constraints: Mapping[str, Callable[[ir.Value], ir.Value]] | None = None,
) -> Program:
    """Turns the traced forward graph in ``b`` into the training step program.

    Args:
        b: Builder holding the forward graph traced in training mode (model outputs not yet
            marked as graph outputs).
        outputs: The model's output values.
        specs: One ``OutputSpec`` per output.
        optimizer: Optimizer spec (name + hyper-parameters, clipping).
        trainable: Parameter names to train; other parameters stay constant initializers.
        input_names: Names of the model's input values (the ``x`` part of the batch).
        expose_gradients: Also output each gradient as ``grad/<param>`` (for checks).
        state_updates: Non-trainable parameters the forward pass assigns (BatchNormalization's
            moving statistics), mapped to their new values; they become state too.
        extra_loss: A float32 scalar already in ``b`` (the model's regularization penalties,
            traced by the front end), added to the loss: the fetched ``loss`` includes it, the
            per-output losses do not.
        constraints: Trainable parameter name -> a function that emits into ``b`` the
            projection of the parameter's updated value (Keras' weight constraints) and returns
            it; applied right after the optimizer update, to parameters that have a gradient.
    """
    state_updates = dict(state_updates or {})
    initial = _lift_parameters(b, [*trainable, *(n for n in state_updates if n not in trainable)])
    params = {name: b.parameters[name] for name in trainable}
    sample_weight = b.input("sample_weight", (None,), "float32")
    lr, step = _scalar_input(b, "lr"), _scalar_input(b, "step")
    state_inputs, metric_state = {}, {}
    loss, results, labels, per_output = _loss_and_metrics(
        b, outputs, specs, sample_weight, state_inputs, metric_state, "metrics/", extra_loss
    )
    _optimize_forward(b)
    _infer_shapes(b)
    grads = gradients(b, loss, [params[n] for n in trainable])
    grads = dict(zip(trainable, grads))
    missing = [n for n, g in grads.items() if g is None]
    if missing and len(missing) == len(grads):
        raise ValueError(f"The loss does not depend on any trainable weight: {missing}.")
    if missing:  # as Keras: warn, and those weights stay as they are
        warnings.warn(
            f"Gradients do not exist for variables {missing} when minimizing the loss. If "
            "using `model.compile()`, did you forget to provide a `loss` argument?",
            stacklevel=2,
        )
    updated = [n for n in trainable if grads[n] is not None]
    slot_specs = optim.slot_specs(optimizer, {n: tuple(initial[n].shape) for n in updated})
    slots = {}
    for name, (shape, dtype, init) in slot_specs.items():
        slots[name] = b.input(name, shape, dtype)
        initial[name] = np.full(shape, init, dtype)
    if expose_gradients:
        for name, grad in grads.items():
            b.output(typed_like(b.op("Identity", [grad]), params[name]), f"grad/{name}")
    new_params, new_slots = optim.build_updates(b, optimizer, params, grads, slots, lr, step)
    for name, project in (constraints or {}).items():
        if name in new_params:
            with b.scope(f"constraint/{name}"):
                new_params[name] = typed_like(project(new_params[name]), params[name])
    for name in missing:  # carried through unchanged
        new_params[name] = typed_like(b.op("Identity", [params[name]]), params[name])
    state = {}
    for name, value in {**state_updates, **new_params, **new_slots}.items():
        b.output(value, name + NEW)
        state[name] = name + NEW
    for name in metric_state:
        state[name] = name + NEW
    initial.update(metric_state)
    model = _finish(b, metadata, producer_version)
    return Program(
        model,
        [*input_names, *labels, "sample_weight"],
        state,
        ["lr", "step"],
        ["loss", *results.values(), *per_output.values()],
        initial,
        list(results),
        per_output,
    )


def build_eval(
    b: GraphBuilder,
    outputs: Sequence[ir.Value],
    specs: Sequence[OutputSpec],
    state_names: Sequence[str],
    input_names: Sequence[str],
    metadata: Mapping[str, str] | None = None,
    producer_version: str = "",
    extra_loss: ir.Value | None = None,
) -> Program:
    """The evaluation program: loss and metric accumulators; ``state_names`` (the parameters
    that training changes) are read as inputs, so it sees the engine's live state.
    ``extra_loss`` is added to the loss as in :func:`build_step`."""
    initial = _lift_parameters(b, state_names)
    sample_weight = b.input("sample_weight", (None,), "float32")
    state_inputs, metric_state = {}, {}
    _, results, labels, per_output = _loss_and_metrics(
        b, outputs, specs, sample_weight, state_inputs, metric_state, "eval/", extra_loss
    )
    model = _finish(b, metadata, producer_version)
    state = {name: name + NEW for name in metric_state}
    initial.update(metric_state)
    return Program(
        model,
        [*input_names, *labels, "sample_weight"],
        state,
        [],
        ["loss", *results.values(), *per_output.values()],
        initial,
        list(results),
        per_output,
    )


def _optimize_forward(b: GraphBuilder) -> None:
    """Layout passes on the forward graph, so that autodiff differentiates the channels-first
    graph and the backward pass holds no activation Transposes either."""
    ir.passes.PassManager(forward_layout_passes())(serde.to_model(b.graph))


def _infer_shapes(b: GraphBuilder) -> None:
    model = serde.to_model(b.graph)
    common.ShapeInferencePass()(model)


def _finish(b: GraphBuilder, metadata, producer_version) -> ir.Model:
    model = serde.to_model(b.graph, metadata, producer_version)
    ir.passes.PassManager(
        [*layout_passes(), common.RemoveUnusedNodesPass(), common.TopologicalSortPass()]
    )(model)
    return model
