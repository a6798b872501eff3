"""The metrics a traced ``compute_loss`` override updates, as accumulators of the graph.

Keras' metric trackers (``self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")``, updated
inside ``compute_loss``) keep their state in variables that its step updates. In kgraph the
state is an input of the step (or eval) graph and its next value an output, as for the compiled
metrics: the engine carries it from batch to batch and resets it at each epoch.

Two kinds of metric take part. kgraph's own metrics (``Mean``, ``MeanSquaredError``...)
route ``update_state`` on traced tensors here (see ``kgraph.metric_base.recording``): the update
is the compiler's metric graph on the state inputs. A user ``Metric`` subclass written with
``kgraph.ops`` has its ``add_variable`` variables bound to state inputs before the trace, so its
own ``update_state`` assigns them as it would eagerly.
"""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph import trace as tracing
from kgraph.compiler import metrics as cmetrics
from kgraph.compiler.training import TracedMetricState
from kgraph.tensor import KerasTensor


class _Entry:
    """One kgraph metric's state while the trace runs."""

    def __init__(self, spec, inputs, initial):
        self.spec, self.inputs, self.initial = spec, inputs, initial
        self.current = dict(inputs)  # ``<name>/<variable>`` -> its value now


class MetricRecorder:
    """Records metric updates made on traced tensors into ``trace``'s builder.

    Args:
        trace: The active trace (training or evaluation).
        prefix: Names the accumulators: ``"metrics/"`` in the step, ``"eval/"`` in evaluation.
    """

    def __init__(self, trace, prefix: str):
        self.trace, self.builder, self.prefix = trace, trace.builder, prefix
        self.entries: dict[int, tuple] = {}  # id(metric) -> (metric, _Entry)
        self.bound: dict[int, tuple] = {}  # id(metric) -> (metric, {input name: variable})

    # -- the hooks kgraph.metric_base calls --------------------------------------------------
    def takes(self, *values) -> bool:
        """Whether a call is on traced tensors (the others run eagerly, as before)."""
        return any(isinstance(v, KerasTensor) and v._value is not None for v in values)

    def holds(self, metric) -> bool:
        return id(metric) in self.entries

    def update(self, metric, y_true, y_pred, sample_weight=None) -> None:
        """``metric.update_state`` as the compiler's update of its state inputs."""
        b = self.builder
        pred = self._value(y_pred)
        true = self._value(y_true) if y_true is not y_pred else pred
        weight = None if sample_weight is None else self._value(sample_weight)
        entry = self._entry(metric, pred)
        with b.scope(f"metrics/{metric.name}"):
            entry.current = cmetrics.metric_update(b, entry.spec, true, pred, weight, entry.current)

    def result(self, metric) -> KerasTensor:
        """``metric.result()`` on its state as updated so far in the trace."""
        entry = self.entries[id(metric)][1]
        b = self.builder
        with b.scope(f"metrics/{metric.name}"):
            value = cmetrics.metric_result(b, entry.spec, entry.current)
        dims = [d if isinstance(d, int) else None for d in (value.shape or ())]
        return KerasTensor(dims, "float32", value=value)

    # -- user Metric subclasses ---------------------------------------------------------------
    def bind(self, metrics) -> None:
        """Binds the variables of user ``Metric`` subclasses to state inputs of the graph."""
        b, prefix = self.builder, self.prefix
        for metric in metrics:
            metric.reset_state()
            inputs = {}
            for variable in metric.variables:
                name = f"{prefix}{metric.name}/{variable.name}"
                inputs[name] = variable
                self.trace.bind(variable, b.input(name, variable.shape, variable.dtype))
            self.bound[id(metric)] = (metric, inputs)

    # -- results ---------------------------------------------------------------------------------
    def states(self) -> dict[str, TracedMetricState]:
        """``{metric name: TracedMetricState}`` of every metric updated during the trace
        (called while the trace is active: user metrics' ``result()`` is traced)."""
        found = {}
        for metric, entry in self.entries.values():
            inputs = {self.prefix + k: v for k, v in entry.inputs.items()}
            updates = {self.prefix + k: v for k, v in entry.current.items()}
            initial = {self.prefix + k: v for k, v in entry.initial.items()}
            found[metric.name] = TracedMetricState(
                inputs, initial, updates, self.result(metric)._value
            )
        for metric, bound in self.bound.values():
            state = self._user_state(metric, bound)
            if state is not None:
                found[metric.name] = state
        return found

    def loaders(self, states: dict) -> list:
        """One function per metric in ``states``: given a graph's state (name -> array), it
        loads that metric's accumulators into the metric object (``Metric.load_state``, or
        its variables' ``assign``)."""
        found = []
        for metric, entry in self.entries.values():
            if metric.name in states:
                names = {self.prefix + k: k for k in entry.inputs}
                found.append(_loader(metric, entry.spec, names))
        for metric, bound in self.bound.values():
            if metric.name in states:
                found.append(_assigner(bound))
        return found

    def _user_state(self, metric, bound: dict):
        trace, b = self.trace, self.builder
        updates = {n: trace.bound_value(v) for n, v in bound.items()}
        graph_inputs = {v.name: v for v in b.graph.inputs}
        originals = {n: graph_inputs[n] for n in bound}
        if all(updates[n] is originals[n] for n in bound):
            return None  # not updated by the override
        with tracing.tracing(trace), b.scope(f"metrics/{metric.name}"):
            result = ops.cast(ops.convert_to_tensor(metric.result()), "float32")
        if not isinstance(result, KerasTensor):
            raise TypeError(f"The metric '{metric.name}' must compute result() with kgraph.ops.")
        initial = {n: v.numpy() for n, v in bound.items()}
        return TracedMetricState(originals, initial, updates, result._value)

    # -- helpers ---------------------------------------------------------------------------------
    def _entry(self, metric, pred) -> _Entry:
        found = self.entries.get(id(metric))
        if found is not None:
            return found[1]
        from kgraph.losses_eager import metric_state

        dims = [d if isinstance(d, int) else None for d in (pred.shape or ())]
        spec = cmetrics.complete_spec(metric.spec(), dims)
        initial = metric_state(spec)
        inputs = {
            k: self.builder.input(self.prefix + k, v.shape, v.dtype) for k, v in initial.items()
        }
        entry = _Entry(spec, inputs, initial)
        self.entries[id(metric)] = (metric, entry)
        return entry

    def _value(self, x):
        if isinstance(x, KerasTensor) and x._value is not None:
            return x._value
        return self.builder.constant(np.asarray(x, np.float32))


def _loader(metric, spec, names: dict):
    def load(state: dict) -> None:
        metric.load_state({key: state[name] for name, key in names.items()}, spec)

    return load


def _assigner(bound: dict):
    def load(state: dict) -> None:
        for name, variable in bound.items():
            variable.assign(state[name])

    return load
