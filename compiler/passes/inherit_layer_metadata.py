"""Gives nodes that passes created (a Transpose sunk past an activation, say) the layer
metadata of their neighbours, so that every node of an exported graph names its layer
(``layer``, ``layer_class``, ``layer_path``, ``layer_call``) in viewers and in
``kgraph compile --functions``."""

from __future__ import annotations

import onnx_ir as ir

KEY = "layer_path"


def _neighbour_metadata(node: ir.Node) -> dict[str, str] | None:
    for value in node.inputs:
        producer = value.producer() if value is not None else None
        if producer is not None and KEY in producer.metadata_props:
            return dict(producer.metadata_props)
    for value in node.outputs:
        for user, _ in value.uses():
            if KEY in user.metadata_props:
                return dict(user.metadata_props)
    return None


class InheritLayerMetadataPass(ir.passes.InPlacePass):
    """Nodes without ``layer_path`` take the metadata of their input's producer (or else of
    their first reader); a graph without layer metadata is left alone."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        modified = False
        for node in model.graph:
            if KEY in node.metadata_props:
                continue
            found = _neighbour_metadata(node)
            if found is not None:
                node.metadata_props.update(found)
                modified = True
        return ir.passes.PassResult(model, modified)
