"""Gradient rules of the ONNX control-flow ops ``If`` and ``Loop``.

``If``: the VJP of an If is an If on the same condition whose branches are the VJPs of the
forward branches. A backward branch is a copy of its forward branch (recomputing the branch's
values: the forward If keeps none of them) followed by the copy's own backward pass, seeded with
the upstream gradients of the If's outputs, which it reads from the enclosing graph. It returns
the gradient of every floating outer-scope value the forward If reads (``autodiff.outer``:
weights, activations), zeros where the branch does not depend on one. Nested Ifs differentiate
through this same rule inside the copy.

``Loop``: kgraph emits it for ``while_loop`` with a data-dependent trip count. As JAX, which
refuses reverse-mode differentiation through ``lax.while_loop``, kgraph refuses it too (the
forward pass would have to keep every iteration's state, whose number is unknown).
"""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.autodiff.backward import gradients
from kgraph.compiler.autodiff.emit import is_float, zeros_like
from kgraph.compiler.autodiff.outer import outer_values
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.builder import GraphBuilder

BRANCHES = ("then_branch", "else_branch")


@rule("If")
def _if(b, node, grads):
    captured = outer_values(node)
    wanted = [v for v in captured if is_float(v)]
    if not wanted:
        return [None] * (len(node.inputs) + len(captured))
    attributes = {
        name: _branch_vjp(b, node.attributes[name].value, grads, wanted, name) for name in BRANCHES
    }
    outs = b.op("If", [node.inputs[0]], attributes, num_outputs=len(wanted))
    outs = [outs] if len(wanted) == 1 else list(outs)
    for out, value in zip(outs, wanted):
        out.type, out.shape = value.type, value.shape
    found = dict(zip(wanted, outs))
    return [None, *(found.get(v) for v in captured)]


@rule("Loop")
def _loop(b, node, grads):
    raise NotImplementedError(
        f"Reverse-mode differentiation does not work through the ONNX 'Loop' node '{node.name}' "
        "(a while_loop whose trip count depends on the data), as in JAX, whose lax.while_loop "
        "has no reverse-mode gradient either. Give while_loop `maximum_iterations` (kgraph then "
        "runs that many masked steps, which differentiate), or use fori_loop or scan with a "
        "static length."
    )


def _branch_vjp(b: GraphBuilder, branch: ir.Graph, grads, wanted, name: str) -> ir.Graph:
    """The backward graph of ``branch``: the gradients of ``wanted`` for the upstream ``grads``
    of the branch outputs."""
    copy, sub, prefix = copy_subgraph(b, branch, name)
    seeded = [(o, g) for o, g in zip(copy.outputs, grads) if g is not None and is_float(o)]
    with sub.scope(prefix):
        found = gradients(sub, [o for o, _ in seeded], wanted, [g for _, g in seeded])
        results = [
            sub.op("Identity", [g if g is not None else zeros_like(sub, v)])
            for g, v in zip(found, wanted)
        ]
    for result, value in zip(results, wanted):
        result.type, result.shape = value.type, value.shape
    copy.outputs.clear()
    copy.outputs.extend(results)
    prune(copy)
    return copy


def copy_subgraph(b: GraphBuilder, graph: ir.Graph, name: str):
    """A renamed copy of ``graph`` that still reads the same outer-scope values, a builder
    that appends to it (sharing ``b``'s names) and the copy's name prefix."""
    copy = graph.clone(allow_outer_scope_values=True)
    sub = GraphBuilder.wrap(copy, b.opset)
    sub._used = b._used  # one namespace for the graph and all its subgraphs
    prefix = b.unique_name(name)
    copy.name = prefix
    rename_copy(sub, copy, prefix)
    return copy, sub, prefix


def rename_copy(sub: GraphBuilder, graph: ir.Graph, prefix: str) -> None:
    """Gives the copied nodes and values (nested subgraphs included) fresh names under
    ``prefix``: the copy must not reuse the names of the forward branch."""
    for node in ir.traversal.RecursiveGraphIterator(graph):
        node.name = sub.unique_name(f"{prefix}/{node.name or node.op_type}")
        for value in node.outputs:
            value.name = sub.unique_name(f"{prefix}/{value.name or 'value'}")
    for inner in [graph, *graph.subgraphs()]:
        for value in [*inner.inputs, *list(inner.initializers.values())]:
            _rename_value(sub, inner, value, prefix)


def _rename_value(sub: GraphBuilder, graph: ir.Graph, value: ir.Value, prefix: str) -> None:
    new = sub.unique_name(f"{prefix}/{value.name}")
    if value.is_initializer():
        graph.initializers.pop(value.name)
        value.name = new
        graph.register_initializer(value)
    else:
        value.name = new


def prune(graph: ir.Graph) -> None:
    """Removes the copied forward nodes and constants the gradients do not use."""
    for node in reversed(list(graph)):
        if not any(v.uses() or v.is_graph_output() for v in node.outputs):
            graph.remove(node, safe=True)
    for key in [k for k, v in graph.initializers.items() if not v.uses()]:
        graph.initializers.pop(key)
