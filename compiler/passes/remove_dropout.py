"""Removes inference-mode ``Dropout`` nodes: without ``training_mode`` (or with a constant
false one) Dropout returns its input unchanged, so its readers read the input directly."""

from __future__ import annotations

import onnx_ir as ir


def _inference_mode(node: ir.Node) -> bool:
    if len(node.inputs) < 3 or node.inputs[2] is None:
        return True
    mode = node.inputs[2].const_value
    return mode is not None and not bool(mode.numpy().reshape(-1)[0])


class RemoveDropoutPass(ir.passes.InPlacePass):
    """``Dropout`` (inference mode, mask unused) → its input."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph, modified = model.graph, False
        for node in list(graph):
            if node.op_type != "Dropout" or node.domain not in ("", "ai.onnx"):
                continue
            out = node.outputs[0]
            mask_used = len(node.outputs) > 1 and (
                node.outputs[1].uses() or node.outputs[1].is_graph_output()
            )
            if not _inference_mode(node) or mask_used or out.is_graph_output():
                continue  # a graph output keeps its name (IdentityElimination's job)
            out.replace_all_uses_with(node.inputs[0])
            graph.remove(node, safe=True)
            modified = True
        return ir.passes.PassResult(model, modified)
