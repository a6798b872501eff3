"""``while_loop`` with a traced condition and no ``maximum_iterations``: an ONNX ``Loop``.

The body graph is traced into a sub-builder (naming shared with the outer graph, so names stay
unique across scopes); weights the body reads are the outer graph's parameters, referenced from
the subgraph as outer-scope values. ONNX ``Loop`` has no gradient rule in kgraph, so such a loop
runs in inference graphs; differentiating through it stops with the autodiff's error naming
``Loop`` (give ``maximum_iterations`` for the unrolled, differentiable form).
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes, trace
from kgraph.compiler.builder import GraphBuilder, ir_dtype
from kgraph.ops.core import Spec, _annotate, _spec_of
from kgraph.tensor import KerasTensor


class _BodyTrace(trace.Trace):
    """The loop body's trace: weights resolve in the enclosing trace; no assignments."""

    def __init__(self, builder: GraphBuilder, outer: trace.Trace):
        super().__init__(builder, outer.training)
        self.outer = outer

    def parameter(self, variable):
        return self.outer.parameter(variable)

    def record_update(self, variable, value) -> None:
        raise ValueError("A while_loop body cannot assign variables inside a traced ONNX Loop.")


def _spec(x) -> Spec:
    spec = _spec_of(x)
    return Spec(spec.shape, dtypes.of_python(x) if spec.dtype == "weak" else spec.dtype)


def _value(b: GraphBuilder, x, spec: Spec):
    if isinstance(x, KerasTensor):
        v = x._value
        if x.dtype != spec.dtype:
            v = b.op("Cast", [v], {"to": ir_dtype(spec.dtype)})
        return v
    return b.constant(np.asarray(x, dtype=dtypes.to_numpy(spec.dtype)))


def _trace_body(outer: trace.Trace, cond, body, specs):
    sub = GraphBuilder(name=outer.builder.unique_name("while_body"), opset=outer.builder.opset)
    sub._used = outer.builder._used  # one namespace for the graph and its subgraphs
    sub.input(sub.unique_name("iteration"), (), "int64")
    sub.input(sub.unique_name("condition"), (), "bool")
    inputs = [sub.input(sub.unique_name("loop_var"), s.shape, s.dtype) for s in specs]
    with trace.tracing(_BodyTrace(sub, outer)):
        state = [KerasTensor(s.shape, s.dtype, value=v) for s, v in zip(specs, inputs)]
        new = body(*state)
        new = list(new) if isinstance(new, (list, tuple)) else [new]
        if len(new) != len(specs):
            raise ValueError(f"while_loop: body returned {len(new)} values for {len(specs)}.")
        flag = cond(*new)
        flag_value = _value(sub, flag, Spec((), "bool"))
        if not isinstance(flag, KerasTensor) or flag.dtype != "bool":
            flag_value = sub.op("Cast", [flag_value], {"to": ir_dtype("bool")})
        outs = [flag_value, *(_value(sub, x, s) for x, s in zip(new, specs))]
    for v in outs:
        sub.output(sub.op("Identity", [v]), sub.unique_name("loop_out"))
    return sub.graph


def onnx_loop(cond, body, state, first):
    """Runs ``body`` while ``cond`` holds as one ONNX Loop; ``first`` is ``cond(*state)``."""
    active = trace.current()
    specs = [_spec(x) for x in state]
    if active is None:  # symbolic (definition time): shapes only, as the loop keeps them
        return tuple(KerasTensor(s.shape, s.dtype) for s in specs)
    b = active.builder
    graph = _trace_body(active, cond, body, specs)
    start = _value(b, first, Spec((), "bool"))
    if first.dtype != "bool":
        start = b.op("Cast", [start], {"to": ir_dtype("bool")})
    values = [_value(b, x, s) for x, s in zip(state, specs)]
    outs = b.op("Loop", [None, start, *values], {"body": graph}, num_outputs=len(values))
    outs = outs if isinstance(outs, tuple) else (outs,)
    result = []
    for v, s in zip(outs, specs):
        _annotate(v, s)
        result.append(KerasTensor(s.shape, s.dtype, value=v))
    return tuple(result)
