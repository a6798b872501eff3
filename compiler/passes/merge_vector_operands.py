"""Reads a per-channel vector through its reshapes once, so that arithmetic on it merges.

A traced BatchNormalization centres its input twice: ``x - mean`` for the variance and again
for the output, and after the layout passes the second ``mean`` is the first one taken through
``Transpose → Reshape → Reshape → Transpose`` back to the same ``(1, C, 1, 1)``. The two ``Sub``
nodes then differ only in that chain, so each step computed (and kept for the backward pass)
two identical full-sized tensors, and their gradients took two reductions.

A chain of shape-only ops (Reshape, Transpose, Squeeze, Unsqueeze, Identity) over tensors
with at most one dimension larger than 1 never reorders the elements, so when its end has the
static shape of its start, the end is the start. This pass reads the start instead, then
merges element-wise arithmetic nodes (Add, Sub, Mul, Div) that read the same operands.
"""

from __future__ import annotations

import onnx_ir as ir

SHAPE_ONLY = frozenset({"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity"})
ARITHMETIC = frozenset({"Add", "Sub", "Mul", "Div"})


def _vector_dims(value: ir.Value) -> tuple | None:
    """The static dims of ``value`` if at most one exceeds 1, else None."""
    if value.shape is None or not all(isinstance(d, int) for d in value.shape):
        return None
    dims = tuple(value.shape)
    return dims if sum(d > 1 for d in dims) <= 1 else None


def _same_vector_upstream(value: ir.Value) -> ir.Value:
    """The earliest value with ``value``'s dims on the shape-only chain of vectors ending at
    ``value`` (``value`` itself if none)."""
    dims, found, current = _vector_dims(value), value, value
    while True:
        node = current.producer()
        if node is None or node.op_type not in SHAPE_ONLY or node.domain != "":
            return found
        current = node.inputs[0]
        if current is None or _vector_dims(current) is None:
            return found
        if _vector_dims(current) == dims:
            found = current


class MergeVectorOperandsPass(ir.passes.InPlacePass):
    """Shape-only chains of vectors that end where they started are bypassed; then readers of
    duplicate Add/Sub/Mul/Div nodes (same operands, in order) read the first one instead (the
    duplicates are left unread for dead-node removal: safe on a graph still being built)."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if node.op_type not in ARITHMETIC or node.domain != "" or node.graph is not graph:
                continue
            for index, value in enumerate(node.inputs):
                if value is None or _vector_dims(value) is None:
                    continue
                start = _same_vector_upstream(value)
                if start is not value:
                    node.replace_input_with(index, start)
                    modified = True
        return ir.passes.PassResult(model, self._merge(graph) or modified)

    def _merge(self, graph: ir.Graph) -> bool:
        seen: dict[tuple, ir.Node] = {}
        merged = False
        for node in list(graph):
            if node.op_type not in ARITHMETIC or node.domain != "" or node.attributes:
                continue
            key = (node.op_type, *(id(v) for v in node.inputs))
            first = seen.setdefault(key, node)
            out = node.outputs[0]
            if first is node or out.is_graph_output():
                continue
            if out.uses():  # the node stays, unread: the front end may still hold its output
                ir.convenience.replace_all_uses_with(out, first.outputs[0])
                merged = True
        return merged
