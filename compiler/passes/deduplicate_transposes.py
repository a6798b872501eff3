"""Merges Transposes that read the same value with the same permutation into the first one.

Each channels-last convolution transposes its own input, so a model input (or any NHWC value)
read by two convolutions, as in an Inception block, would be transposed twice; moving Transposes
below a region can also add one next to an existing one (:class:`SinkTransposesPass`).
"""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import perm_of


class DeduplicateTransposesPass(ir.passes.InPlacePass):
    """``Transpose(x, p)`` twice → once; later readers use the first (in graph order)."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        first: dict[tuple[int, tuple[int, ...]], ir.Node] = {}
        modified = False
        for node in list(graph):
            if node.op_type != "Transpose" or node.graph is not graph:
                continue
            key = (id(node.inputs[0]), tuple(perm_of(node)))
            kept = first.setdefault(key, node)
            out = node.outputs[0]
            if kept is node or out.is_graph_output():
                continue
            out.replace_all_uses_with(kept.outputs[0])
            graph.remove(node, safe=True)
            modified = True
        return ir.passes.PassResult(model, modified)
