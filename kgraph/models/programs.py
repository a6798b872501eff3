"""The compiled programs of a model's training: the step and the eval graph.

The front end traces the model (training mode for the step, inference mode for eval), its
regularization penalties and its weight constraints into IR, and the compiler turns that IR into
programs. The compiler is only ever called, never calls back: constraints are traced here,
between ``StepGraph.optimizer_updates`` and ``StepGraph.finish``.

:func:`step_spec` is the one adapter between a compiled program and the runtime's engine.
"""

from __future__ import annotations

import dataclasses

from kgraph import trace as tracing
from kgraph.compiler import training as ctraining
from kgraph.compiler.step import StepGraph
from kgraph.models import penalties
from kgraph.models.custom_objectives import trace_losses, trace_metrics
from kgraph.models.export import metadata, trace_model
from kgraph.models.loss_override import add_metric_states, overrides, trace_overrides
from kgraph.models.sample_weights import declare_input
from kgraph.runtime import StepSpec
from kgraph.version import __version__


def step_spec(program: ctraining.Program) -> StepSpec:
    """The roles of a program's inputs and outputs, as the runtime's engine takes them."""
    return StepSpec(
        list(program.batch_inputs),
        dict(program.state),
        list(program.scalar_inputs),
        list(program.fetch),
    )


class TrainingPrograms:
    """The step and eval programs of one model, for its current set of trainable weights.

    Attributes:
        step, eval: The compiled programs.
        variables: Parameter path -> the model's Variable, for every weight in the graphs.
        changing: Paths of the variables the step changes: trainable weights, then the
            variables the forward pass assigns (BatchNormalization's moving statistics).
        trainable_ids: ``id`` of each trainable weight at build time (a change means rebuild).
        constants: Path -> (Variable, value array at build time) of the weights the programs
            hold as constant initializers (frozen layers'): assigning one means rebuild.
    """

    def __init__(
        self,
        model,
        output_specs,
        optimizer_spec: dict,
        user_losses=None,
        user_metrics=None,
        with_targets=False,
        label_shapes=None,
        weight_dims=(),
    ):
        self.trainable_ids = tuple(id(w) for w in model.trainable_weights)
        trainable = set(self.trainable_ids)
        lower = [w for w in model.trainable_weights if str(w.dtype) != "float32"]
        if lower:  # the optimizers' update graphs are float32
            raise ValueError(
                "kgraph trains float32 weights only: make the layer float32 or freeze it. "
                f"Received: trainable weight {lower[0].path!r} of dtype {lower[0].dtype}"
            )
        b, trace, outputs = trace_model(
            model, training=True, mark_outputs=False, collect_losses=True
        )
        self.with_targets = with_targets  # every output's label reaches the overrides' y
        self.label_shapes = dict(label_shapes or {})  # targets the user's code reads as given
        self.weight_dims = tuple(weight_dims)  # extra axes of per-element sample weights
        declare_input(b, self.weight_dims)
        objectives = (output_specs, user_losses, user_metrics, with_targets, self.label_shapes)
        step_parts = _objectives(model, trace, outputs, *objectives)
        specs, penalty, traced, metric_values, override = step_parts
        self.variables = dict(trace.variables)
        paths = [p for p, v in trace.variables.items() if id(v) in trainable]
        self.changing = paths + [p for p in trace.updates if p not in paths]
        names, meta = model.input_names, metadata(model)
        graph = StepGraph(
            b,
            outputs,
            specs,
            paths,
            names,
            trace.updates,
            penalty,
            traced,
            metric_values,
            _masks(model, trace),
            loss_scale=optimizer_spec.get("name") == "loss_scale_optimizer",
        )
        updates = graph.optimizer_updates(optimizer_spec)
        with tracing.tracing(trace), b.scope("constraint"):
            for path, project in penalties.constraints(model, trace).items():
                if graph.gradients[path] is not None:
                    updates[path] = project(updates[path])
        self.step = graph.finish(updates, meta, __version__)
        self.logged = {}  # program -> compute_metrics' {log key: metric output name}
        self.loaders = {}  # program -> functions loading its state into the tracker objects
        if override is not None:
            add_metric_states(self.step, *override[:2], "metrics/")
            self.logged[id(self.step)], self.loaders[id(self.step)] = override[2:]
        updated = {id(trace.variables[p]) for p in trace.updates}
        b, eval_trace, outputs = trace_model(
            model, training=False, mark_outputs=False, collect_losses=True
        )
        declare_input(b, self.weight_dims)
        eval_parts = _objectives(model, eval_trace, outputs, *objectives, "eval/")
        specs, eval_penalty, traced, metric_values, eval_override = eval_parts
        eval_state = [
            p for p, v in eval_trace.variables.items() if id(v) in trainable or id(v) in updated
        ]
        self.eval = ctraining.build_eval(
            b,
            outputs,
            specs,
            eval_state,
            names,
            meta,
            __version__,
            eval_penalty,
            traced,
            metric_values,
            _masks(model, eval_trace),
        )
        if eval_override is not None:
            add_metric_states(self.eval, *eval_override[:2], "eval/")
            self.logged[id(self.eval)], self.loaders[id(self.eval)] = eval_override[2:]
        self.eval_bytes = self.eval.to_bytes()
        held = {*self.changing, *eval_state}
        every = {**trace.variables, **eval_trace.variables}
        self.constants = {p: (v, v.value) for p, v in every.items() if p not in held}

    def constants_changed(self) -> bool:
        """Whether a weight baked into the programs was assigned since they were built
        (``assign`` replaces a Variable's array, so identity tells)."""
        return any(v.value is not value for v, value in self.constants.values())

    def log_names(self, program) -> dict | None:
        """``{log key: name in the program's logs}`` of a ``compute_metrics`` override (what
        ``fit``/``evaluate`` report), or None (the default: ``model.metrics``' entries)."""
        return self.logged.get(id(program))

    def load_trackers(self, program, state: dict) -> None:
        """Loads ``program``'s accumulators (from ``state``) into the metric objects the
        overrides updated, as Keras' metric objects hold the last loop's state."""
        for load in self.loaders.get(id(program), ()):
            load(state)

    def metric_state(self, program: ctraining.Program) -> dict:
        """The initial (zero) metric accumulators of ``program``."""
        prefix = "metrics/" if program is self.step else "eval/"
        return {n: v for n, v in program.initial_state.items() if n.startswith(prefix)}


def _objectives(
    model,
    trace,
    outputs,
    specs,
    user_losses,
    user_metrics,
    every_label,
    label_shapes,
    prefix="metrics/",
):
    """What the graph adds to the model's outputs: ``(specs, extra loss, traced user losses,
    traced user metrics, override)``. Without a ``compute_loss`` override the extra loss is
    the regularization penalty; with one, the override's traced value is the whole loss (the
    specs keep their metrics only). ``override`` is None without a ``compute_loss`` or
    ``compute_metrics`` override, else ``(labels, metric states, logged entries, loaders)``."""
    b, shapes = trace.builder, [t.shape for t in model._output_specs()]
    for spec in specs:  # made before the user's code asks for them, in the targets' shape
        if spec.name in label_shapes:
            b.input(spec.label_name, list(label_shapes[spec.name]), "float32")
    penalty = penalties.traced_penalty(model, trace)  # may meet weights the call did not
    traced = trace_losses(trace, b, user_losses or {}, specs, outputs, shapes)
    metric_values = trace_metrics(trace, b, user_metrics or {}, specs, outputs, shapes, prefix)
    if not (overrides(model, "compute_loss") or overrides(model, "compute_metrics")):
        return specs, penalty, traced, metric_values, None
    user = user_losses or {}
    loss, labels, states, logged, loaders = trace_overrides(
        model, trace, specs, outputs, user, penalty, prefix, every_label
    )
    if loss is not None:
        specs = [dataclasses.replace(spec, loss=None) for spec in specs]
        penalty, traced = loss, {}
    return specs, penalty, traced, metric_values, (labels, states, logged, loaders)


def _masks(model, trace) -> dict:
    """Output name -> the traced Keras mask of that output (Keras weights the loss and the
    mean metrics by it); outputs without a mask are left out."""
    found = zip(model._target_names(), getattr(trace, "output_masks", []))
    return {name: mask for name, mask in found if mask is not None}
