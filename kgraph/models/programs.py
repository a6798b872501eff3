"""The compiled training setup of a model: step and eval programs and the engine that runs them.

Built lazily by ``fit``/``evaluate`` from what ``compile()`` recorded; rebuilt when the set of
trainable weights changes. Weights move between the model's variables and the engine's
device-resident state at the start of fit and the end of each epoch, and in between only when
something reads or writes a variable: after a step the setup marks itself as ahead of the
variables (``kgraph.tensor.mark_device_ahead``), a read pulls the state, and a write is
pushed before the next step.
"""

from __future__ import annotations

import numpy as np

from kgraph.compiler import training as ctraining
from kgraph.models import penalties
from kgraph.models.export import metadata, trace_model
from kgraph.tensor import generation, mark_device_ahead
from kgraph.version import __version__


class TrainingSetup:
    """Step/eval programs for one compiled model, plus the runtime engine."""

    def __init__(self, model, output_specs, optimizer, device):
        from kgraph.runtime import StepSpec, TrainingEngine

        self.model = model
        self.trainable_ids = tuple(id(w) for w in model.trainable_weights)
        trainable = {id(w) for w in model.trainable_weights}
        b, trace, outputs = trace_model(
            model, training=True, mark_outputs=False, collect_losses=True
        )
        penalty = penalties.traced_penalty(model, trace)  # may meet weights the call did not
        self.variables = dict(trace.variables)
        self.trainable = [p for p, v in trace.variables.items() if id(v) in trainable]
        updated = {id(trace.variables[p]) for p in trace.updates}
        # Everything the step changes: trainable weights, then assigned ones (moving stats).
        self.changing = self.trainable + [p for p in trace.updates if p not in self.trainable]
        names = model.input_names
        meta = metadata(model)
        self.step = ctraining.build_step(
            b,
            outputs,
            output_specs,
            optimizer.spec(),
            self.trainable,
            names,
            meta,
            __version__,
            state_updates=trace.updates,
            extra_loss=penalty,
            constraints=penalties.traced_constraints(model, trace),
        )
        b, eval_trace, outputs = trace_model(
            model, training=False, mark_outputs=False, collect_losses=True
        )
        eval_penalty = penalties.traced_penalty(model, eval_trace)
        eval_state = [
            p for p, v in eval_trace.variables.items() if id(v) in trainable or id(v) in updated
        ]
        self.eval = ctraining.build_eval(
            b, outputs, output_specs, eval_state, names, meta, __version__, extra_loss=eval_penalty
        )
        self.spec = StepSpec(
            self.step.batch_inputs, self.step.state, self.step.scalar_inputs, self.step.fetch
        )
        self.engine = TrainingEngine(
            self.step.to_bytes(), self.spec, self.step.initial_state, device=device
        )
        self.eval_bytes = self.eval.to_bytes()
        self.metric_state = {
            n: v for n, v in self.step.initial_state.items() if n.startswith("metrics/")
        }
        self.eval_metric_state = {
            n: v for n, v in self.eval.initial_state.items() if n.startswith("eval/")
        }
        self.synced = generation()

    def push_weights(self) -> None:
        """Copies the model's variable values into the engine when they changed."""
        if generation() != self.synced:
            self.engine.set_state({p: self.variables[p].value for p in self.changing})
            self.synced = generation()

    def pull_weights(self) -> None:
        """Copies the engine's parameters back into the model's variables."""
        mark_device_ahead(None)
        state = self.engine.get_state()
        for path in self.changing:
            self.variables[path].assign(state[path])
        self.synced = generation()

    def reset_metrics(self) -> None:
        if self.metric_state:
            self.engine.set_state({n: np.zeros_like(v) for n, v in self.metric_state.items()})

    def train_step(self, batch: dict, lr: float, step: int) -> dict:
        """One step; weights written since the last sync are pushed first."""
        self.push_weights()
        out = self.engine.run_step(batch, {"lr": lr, "step": float(step)})
        mark_device_ahead(self)
        return out

    def eval_step(self, batch: dict, state: dict) -> dict:
        """Runs the eval graph on one batch; ``state`` holds its metric accumulators (updated)."""
        out = self.engine.run_eval(self.eval_bytes, batch, scalars=state)
        for name in state:
            state[name] = out[name + ctraining.NEW]
        return out
