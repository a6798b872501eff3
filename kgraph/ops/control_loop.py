"""Traced control flow as ONNX subgraph ops: ``cond`` / ``switch`` as ``If``, a ``while_loop``
with a data-dependent trip count as ``Loop``.

A branch or loop body is traced into a sub-builder (naming shared with the outer graph, so names
stay unique across scopes). Weights it reads are the outer graph's parameters, and tensors of the
enclosing trace it closes over are referenced from the subgraph as outer-scope values. The
autodiff differentiates ``If`` (``compiler.autodiff.rules.control_flow``: an ``If`` over the
branches' VJPs); it refuses ``Loop``, as JAX refuses reverse mode through ``lax.while_loop``.
Branches and bodies cannot assign variables (a layer updating its state, a seed generator
advancing), and activity losses added inside them are not collected.
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes, trace
from kgraph.compiler.builder import GraphBuilder, ir_dtype
from kgraph.ops.core import Spec, _annotate, _spec_of
from kgraph.tensor import KerasTensor


class BodyTrace(trace.Trace):
    """A subgraph's trace: weights resolve in the enclosing trace; no assignments."""

    def __init__(self, builder: GraphBuilder, outer: trace.Trace):
        super().__init__(builder, outer.training)
        self.outer = outer

    def parameter(self, variable):
        return self.outer.parameter(variable)

    def record_update(self, variable, value) -> None:
        raise ValueError(
            "A traced cond / switch branch or while_loop body (an ONNX If or Loop subgraph) "
            f"cannot assign variables. Received an assignment to '{variable.path}'."
        )


def map_tree(fn, *trees):
    """``fn`` applied to the leaves of equally structured nested lists / tuples / dicts."""
    first = trees[0]
    if isinstance(first, (list, tuple)):
        out = [map_tree(fn, *parts) for parts in zip(*trees, strict=True)]
        return type(first)(out) if isinstance(first, tuple) else out
    if isinstance(first, dict):
        return {k: map_tree(fn, *(t[k] for t in trees)) for k in first}
    if first is None:
        return None
    return fn(*trees)


def leaves(tree) -> list:
    """The leaves of ``tree`` in ``map_tree`` order (``None`` entries are no leaves)."""
    out = []
    map_tree(lambda x: out.append(x), tree)
    return out


def structure(tree):
    """A comparable description of ``tree``'s nesting (leaves are ``"leaf"``)."""
    if isinstance(tree, (list, tuple)):
        return (type(tree).__name__, tuple(structure(t) for t in tree))
    if isinstance(tree, dict):
        return tuple(sorted((k, structure(v)) for k, v in tree.items()))
    return None if tree is None else "leaf"


def spec(x) -> Spec:
    """Shape and dtype of ``x``; a weak Python scalar takes Keras' default dtype."""
    found = _spec_of(x)
    return Spec(found.shape, dtypes.of_python(x) if found.dtype == "weak" else found.dtype)


def value_of(b: GraphBuilder, x, spec: Spec):
    if isinstance(x, KerasTensor):
        v = x._value
        if x.dtype != spec.dtype:
            v = b.op("Cast", [v], {"to": ir_dtype(spec.dtype)})
        return v
    return b.constant(np.asarray(x, dtype=dtypes.to_numpy(spec.dtype)))


def _condition(b: GraphBuilder, flag):
    """``flag`` as a scalar bool value."""
    value = value_of(b, flag, Spec((), "bool"))
    if not isinstance(flag, KerasTensor) or flag.dtype != "bool":
        value = b.op("Cast", [value], {"to": ir_dtype("bool")})
    if isinstance(flag, KerasTensor) and len(flag.shape) != 0:
        value = b.op("Reshape", [value, b.constant(np.zeros(0, np.int64))])
    return value


def sub_builder(outer: trace.Trace, name: str) -> GraphBuilder:
    sub = GraphBuilder(name=outer.builder.unique_name(name), opset=outer.builder.opset)
    sub._used = outer.builder._used  # one namespace for the graph and its subgraphs
    return sub


def scoped(sub: GraphBuilder):
    """Names what is emitted into ``sub`` under the subgraph's own unique name (``layer/
    then_branch/Mul``), apart from the outer graph's names."""
    return sub.scope(sub.graph.name)


def subgraph_outputs(sub: GraphBuilder, values, specs, name: str):
    """Marks ``values`` (cast to ``specs``) as the subgraph's outputs; returns its graph."""
    with scoped(sub):
        for x, s in zip(values, specs):
            sub.output(sub.op("Identity", [value_of(sub, x, s)]), sub.unique_name(name))
    return sub.graph


def _merged(a, b) -> Spec:
    """The spec an If output has when its branches give ``a`` and ``b``."""
    sa, sb = _spec_of(a), _spec_of(b)
    if len(sa.shape) != len(sb.shape):
        raise ValueError(
            "cond with a traced predicate needs both branches to return tensors of the same "
            f"rank. Received shapes {sa.shape} and {sb.shape}."
        )
    shape = tuple(x if x == y else None for x, y in zip(sa.shape, sb.shape))
    if sa.dtype == "weak" or sb.dtype == "weak":
        dtype = sb.dtype if sa.dtype == "weak" else sa.dtype
        dtype = dtypes.of_python(a if sa.dtype == "weak" else b) if dtype == "weak" else dtype
    else:
        dtype = sa.dtype if sa.dtype == sb.dtype else dtypes.result_type(sa.dtype, sb.dtype)
    return Spec(shape, dtype)


def onnx_if(pred, true_fn, false_fn):
    """``true_fn()`` or ``false_fn()`` as one ONNX If on the traced scalar ``pred``; both
    branches must return the same structure of tensors of equal rank."""
    active = trace.current()
    branches = []
    for fn, name in ((true_fn, "then_branch"), (false_fn, "else_branch")):
        sub = sub_builder(active, name)
        with scoped(sub), trace.tracing(BodyTrace(sub, active)):
            branches.append((sub, fn()))
    (sub_t, tree_t), (sub_f, tree_f) = branches
    if structure(tree_t) != structure(tree_f):
        raise ValueError(
            "cond with a traced predicate needs both branches to return the same structure. "
            f"Received: true_fn() -> {tree_t}, false_fn() -> {tree_f}"
        )
    on_true, on_false = leaves(tree_t), leaves(tree_f)
    specs = [_merged(t, f) for t, f in zip(on_true, on_false)]
    if not specs:  # nothing to select
        return tree_t
    graphs = {
        "then_branch": subgraph_outputs(sub_t, on_true, specs, "then_out"),
        "else_branch": subgraph_outputs(sub_f, on_false, specs, "else_out"),
    }
    b = active.builder
    outs = b.op("If", [_condition(b, pred)], graphs, num_outputs=len(specs))
    outs = outs if isinstance(outs, tuple) else (outs,)
    results = iter(wrap(v, s) for v, s in zip(outs, specs))
    return map_tree(lambda _: next(results), tree_t)


def wrap(value, spec: Spec) -> KerasTensor:
    _annotate(value, spec)
    return KerasTensor(spec.shape, spec.dtype, value=value)


def _trace_body(outer: trace.Trace, cond, body, specs):
    sub = sub_builder(outer, "while_body")
    with scoped(sub), trace.tracing(BodyTrace(sub, outer)):
        sub.input(sub.unique_name("iteration"), (), "int64")
        sub.input(sub.unique_name("condition"), (), "bool")
        inputs = [sub.input(sub.unique_name("loop_var"), s.shape, s.dtype) for s in specs]
        state = [KerasTensor(s.shape, s.dtype, value=v) for s, v in zip(specs, inputs)]
        new = body(*state)
        new = list(new) if isinstance(new, (list, tuple)) else [new]
        if len(new) != len(specs):
            raise ValueError(f"while_loop: body returned {len(new)} values for {len(specs)}.")
        flag = _condition(sub, cond(*new))
    return subgraph_outputs(
        sub, [KerasTensor((), "bool", value=flag), *new], [Spec((), "bool"), *specs], "loop_out"
    )


def onnx_loop(cond, body, state, first):
    """Runs ``body`` while ``cond`` holds as one ONNX Loop; ``first`` is ``cond(*state)``."""
    active = trace.current()
    specs = [spec(x) for x in state]
    if active is None:  # symbolic (definition time): shapes only, as the loop keeps them
        return tuple(KerasTensor(s.shape, s.dtype) for s in specs)
    b = active.builder
    graph = _trace_body(active, cond, body, specs)
    values = [value_of(b, x, s) for x, s in zip(state, specs)]
    outs = b.op(
        "Loop", [None, _condition(b, first), *values], {"body": graph}, num_outputs=len(values)
    )
    outs = outs if isinstance(outs, tuple) else (outs,)
    return tuple(wrap(v, s) for v, s in zip(outs, specs))
