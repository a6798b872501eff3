"""Regularization penalties and weight constraints of a model, traced into its step graph.

The compiler sees IR values only: the front end traces the penalties (the activity penalties the
layers recorded during the model trace, then ``regularizer(weight)`` for every trainable weight
that has one) into one float32 scalar that the step and eval graphs add to the loss, and traces
``constraint(updated value)`` with ``kgraph.ops`` into the step graph after the optimizer update
(``kgraph.models.programs``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx_ir as ir

from kgraph import ops, regularizers
from kgraph import trace as tracing
from kgraph.tensor import KerasTensor


def traced_penalty(model, trace: tracing.Trace) -> ir.Value | None:
    """The sum of the model's regularization penalties in ``trace``'s graph, or None.

    As in Keras, the activity penalties recorded during the trace come first, then the weight
    penalties in ``model.trainable_weights`` order; frozen weights add nothing.
    """
    terms = list(trace.losses or [])
    with tracing.tracing(trace), trace.builder.scope("regularization"):
        terms += regularizers.weight_penalties(model)
        if not terms:
            return None
        total = None
        for term in terms:
            if isinstance(term, KerasTensor) and term.dtype != "float32":
                term = ops.cast(term, "float32")
            total = term if total is None else ops.add(total, term)
    if isinstance(total, KerasTensor):
        return total._value
    value = trace.builder.constant(np.asarray(total, np.float32))  # penalties without weights
    value.type, value.shape = ir.TensorType(ir.DataType.FLOAT), ir.Shape([])
    return value


def constraints(model, trace: tracing.Trace) -> dict[str, Callable[[ir.Value], ir.Value]]:
    """Parameter path -> a function that traces the weight's constraint on its updated value
    (an IR value of the step graph), for every trainable weight of the trace that has one."""
    paths = {id(variable): path for path, variable in trace.variables.items()}
    return {
        paths[id(w)]: _projection(trace, w)
        for w in model.trainable_weights
        if w.constraint is not None and id(w) in paths
    }


def _projection(trace: tracing.Trace, variable) -> Callable[[ir.Value], ir.Value]:
    def project(value: ir.Value) -> ir.Value:
        with tracing.tracing(trace):
            out = variable.constraint(KerasTensor(variable.shape, variable.dtype, value=value))
        if not isinstance(out, KerasTensor):
            raise TypeError(
                f"The constraint of '{variable.path}' must compute its result from the weight "
                f"with kgraph.ops; it returned {type(out).__name__}."
            )
        return out._value

    return project
