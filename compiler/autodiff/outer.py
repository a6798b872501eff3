"""The outer-scope values a control-flow node's subgraphs read.

ONNX ``If`` / ``Loop`` / ``Scan`` bodies name values of the enclosing graphs directly (weights,
activations) instead of taking them as inputs. For the backward sweep those values are inputs of
the node all the same: the gradient flows to them through the body.
"""

from __future__ import annotations

import onnx_ir as ir


def subgraphs(node: ir.Node) -> list[ir.Graph]:
    """The graph-valued attributes of ``node`` (branches, loop bodies), in attribute order."""
    found = []
    for attribute in node.attributes.values():
        if attribute.type == ir.AttributeType.GRAPH:
            found.append(attribute.value)
        elif attribute.type == ir.AttributeType.GRAPHS:
            found.extend(attribute.value)
    return found


def outer_values(node: ir.Node) -> list[ir.Value]:
    """Values that ``node``'s subgraphs (at any depth) read but do not define, first use first;
    empty for a node without subgraphs."""
    graphs = subgraphs(node)
    if not graphs:
        return []
    defined: set[ir.Value] = set()
    used: dict[ir.Value, None] = {}
    for graph in graphs:
        _walk(graph, defined, used)
    return [v for v in used if v not in defined]


def _walk(graph: ir.Graph, defined: set, used: dict) -> None:
    defined.update(graph.inputs)
    defined.update(graph.initializers.values())
    for inner in graph:
        defined.update(inner.outputs)
        for value in inner.inputs:
            if value is not None:
                used.setdefault(value, None)
        for sub in subgraphs(inner):
            _walk(sub, defined, used)
    for value in graph.outputs:
        used.setdefault(value, None)
