"""The training step graph, built in stages.

A step maps ``(batch, lr, step, state) -> (loss, metrics, per-output losses, new state)``. It is
built in three calls, so that the front end can add nodes of its own between them without the
compiler ever calling back into it:

1. ``StepGraph(...)`` lifts the trainable parameters (and the state the forward pass assigns,
   such as BatchNormalization's moving statistics) to graph inputs, adds the loss and metric
   nodes, runs the forward layout passes and differentiates the loss.
2. ``optimizer_updates(spec)`` emits the optimizer update and returns each parameter's next
   value. The front end may replace values here (Keras' weight constraints, traced with
   ``kgraph.ops`` into the same builder).
3. ``finish(updates, ...)`` marks the state outputs and returns the :class:`Program`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import onnx_ir as ir
import onnx_ir.passes.common as common

from kgraph.compiler import optim, serde
from kgraph.compiler.autodiff import gradients
from kgraph.compiler.builder import GraphBuilder, typed_like
from kgraph.compiler.passes import forward_layout_passes
from kgraph.compiler.training import (
    NEW,
    LossGraph,
    OutputSpec,
    Program,
    finish_model,
    lift_parameters,
    sample_weight_input,
)


class StepGraph:
    """The step graph of one model while it is being built (see the module docstring).

    Args:
        b: Builder holding the forward graph traced in training mode (model outputs not yet
            marked as graph outputs).
        outputs: The model's output values.
        specs: One ``OutputSpec`` per output.
        trainable: Parameter names to train; other parameters stay constant initializers, so
            the step holds no gradient nodes for them.
        input_names: Names of the model's input values (the ``x`` part of the batch).
        state_updates: Non-trainable parameters the forward pass assigns, mapped to their new
            values; they become state too.
        extra_loss: A float32 scalar already in ``b`` (regularization penalties traced by the
            front end) added to the loss: the fetched ``loss`` includes it, per-output losses
            do not.
        traced_losses: Output name -> per-sample loss values the front end traced into ``b``
            (a user's loss function), for outputs whose loss spec is ``{"name": "traced"}``.
        traced_metrics: Metric display name -> per-sample values of a user metric function,
            for metric specs marked ``traced``.
        output_masks: Output name -> the bool Keras mask the front end traced for it (from
            the inputs): masked entries weigh 0 in the loss and the mean metrics, as in Keras.
        loss_scale: Differentiate ``loss * scale`` and divide the gradients by ``scale``, the
            ``LossScaleOptimizer``'s dynamic scale (a state input): with float16 activations
            (``mixed_float16``) the backward pass then keeps small gradients representable,
            as Keras' scaled loss does. The optimizer spec must be a loss-scale wrapper.
    """

    def __init__(
        self,
        b: GraphBuilder,
        outputs: Sequence[ir.Value],
        specs: Sequence[OutputSpec],
        trainable: Sequence[str],
        input_names: Sequence[str],
        state_updates: Mapping[str, ir.Value] | None = None,
        extra_loss: ir.Value | None = None,
        traced_losses: Mapping[str, ir.Value] | None = None,
        traced_metrics: Mapping[str, ir.Value] | None = None,
        output_masks: Mapping[str, ir.Value] | None = None,
        loss_scale: bool = False,
    ):
        self.builder = b
        self.trainable = list(trainable)
        self.state_updates = dict(state_updates or {})
        lifted = [*self.trainable, *(n for n in self.state_updates if n not in self.trainable)]
        self.initial_state = lift_parameters(b, lifted)
        self.params = {name: b.parameters[name] for name in self.trainable}
        sample_weight = sample_weight_input(b)
        self.lr = b.input("lr", (), "float32")
        self.step = b.input("step", (), "float32")
        self.losses = LossGraph(
            b,
            outputs,
            specs,
            sample_weight,
            "metrics/",
            extra_loss,
            traced_losses,
            traced_metrics,
            output_masks,
        )
        self.input_names = list(input_names)
        ir.passes.PassManager(forward_layout_passes())(serde.to_model(b.graph))
        common.ShapeInferencePass()(serde.to_model(b.graph))
        self.scale = b.input(optim.loss_scale.SCALE, (), "float32") if loss_scale else None
        self.gradients = self._differentiate()

    def _differentiate(self) -> dict[str, ir.Value | None]:
        """The loss gradient of every trainable parameter; as Keras, a parameter the loss does
        not depend on gets a warning and stays as it is (unless none has a gradient)."""
        b, loss, scale = self.builder, self.losses.loss, self.scale
        if scale is not None:
            loss = typed_like(b.op("Mul", [loss, scale]), loss)
        found = gradients(b, loss, [self.params[n] for n in self.trainable])
        if scale is not None:
            found = [None if g is None else typed_like(b.op("Div", [g, scale]), g) for g in found]
        grads = dict(zip(self.trainable, found))
        missing = [n for n, g in grads.items() if g is None]
        if missing and len(missing) == len(grads):
            raise ValueError(f"The loss does not depend on any trainable weight: {missing}.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        return grads

    def optimizer_updates(
        self, optimizer: Mapping, expose_gradients: bool = False
    ) -> dict[str, ir.Value]:
        """Emits the optimizer update; returns each trainable parameter's next value.

        Args:
            optimizer: Optimizer spec (name + hyper-parameters, clipping).
            expose_gradients: Also output each gradient as ``grad/<param>`` (for checks).
        """
        b, grads = self.builder, self.gradients
        updated = [n for n in self.trainable if grads[n] is not None]
        shapes = {n: tuple(self.initial_state[n].shape) for n in updated}
        slots = {}
        for name, (shape, dtype, init) in optim.slot_specs(optimizer, shapes).items():
            reuse = self.scale if name == optim.loss_scale.SCALE else None
            slots[name] = reuse if reuse is not None else b.input(name, shape, dtype)
            self.initial_state[name] = np.full(shape, init, dtype)
        if expose_gradients:
            for name, grad in grads.items():
                b.output(typed_like(b.op("Identity", [grad]), self.params[name]), f"grad/{name}")
        new_params, self.new_slots = optim.build_updates(
            b, optimizer, self.params, grads, slots, self.lr, self.step
        )
        for name in self.trainable:  # no gradient: carried through unchanged
            if name not in new_params:
                new_params[name] = b.op("Identity", [self.params[name]])
        return new_params

    def finish(
        self,
        updates: Mapping[str, ir.Value],
        metadata: Mapping[str, str] | None = None,
        producer_version: str = "",
    ) -> Program:
        """Marks every state update as an output (``<state>:new``) and returns the program."""
        b, state = self.builder, {}
        updates = {n: typed_like(v, self.params[n]) for n, v in updates.items()}
        for name, value in {**self.state_updates, **updates, **self.new_slots}.items():
            b.output(value, name + NEW)
            state[name] = name + NEW
        for name in self.losses.metric_state:
            state[name] = name + NEW
        self.initial_state.update(self.losses.metric_state)
        return Program(
            finish_model(b, metadata, producer_version),
            [*self.input_names, *self.losses.labels, "sample_weight"],
            state,
            ["lr", "step", *(v.name for v in b.graph.inputs if v.name.startswith("lr:"))],
            self.initial_state,
            self.losses.metric_outputs,
            self.losses.output_losses,
        )


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
) -> Program:
    """The three stages of :class:`StepGraph` in one call, for graphs that need no front-end
    nodes after the optimizer update."""
    graph = StepGraph(b, outputs, specs, trainable, input_names, state_updates, extra_loss)
    updates = graph.optimizer_updates(optimizer, expose_gradients)
    return graph.finish(updates, metadata, producer_version)
