"""Merges consecutive Transposes into one and drops Transposes that end up as the identity."""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import (
    compose,
    is_identity,
    perm_of,
    transpose_producer,
)


class CancelTransposesPass(ir.passes.InPlacePass):
    """``Transpose(Transpose(x, p1), p2)`` → ``Transpose(x, p1∘p2)``; dropped when identity."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if node.op_type != "Transpose" or node.graph is None:
                continue
            first = transpose_producer(node.inputs[0])
            if first is not None:
                perm = compose(perm_of(first), perm_of(node))
                node.replace_input_with(0, first.inputs[0])
                node.attributes["perm"] = ir.AttrInt64s("perm", perm)
                if not first.outputs[0].uses() and not first.outputs[0].is_graph_output():
                    graph.remove(first, safe=True)
                modified = True
            if is_identity(perm_of(node)) and _bypass(graph, node):
                modified = True
        return ir.passes.PassResult(model, modified)


def _bypass(graph: ir.Graph, node: ir.Node) -> bool:
    """Removes an identity Transpose; a graph output is handed over to its source value."""
    source, out = node.inputs[0], node.outputs[0]
    if out.is_graph_output():
        if source.is_graph_input() or source.is_graph_output() or source.is_initializer():
            return False
        name = out.name
        out.replace_all_uses_with(source, replace_graph_outputs=True)
        graph.remove(node, safe=True)
        source.name = name
        return True
    out.replace_all_uses_with(source)
    graph.remove(node, safe=True)
    return True
