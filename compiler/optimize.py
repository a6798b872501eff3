"""``kgraph compile --optimize``: onnxscript's optimizer, then kgraph's own clean-ups.

onnxscript folds constants, removes dead code and simplifies patterns; kgraph's passes then
fold constants again, drop inference Dropout and Identity nodes, fold BatchNormalization into
the Conv or Dense before it and write ONNX's single ops for known compositions. The caller
checks that results stay equal (``--verify`` runs after ``--optimize``).
"""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes.common as common

from kgraph.compiler.passes import (
    FoldConstantsPass,
    FoldConvAffinePass,
    FoldMatMulAffinePass,
    FuseConvBiasPass,
    ReadableOpsPass,
)
from kgraph.compiler.passes.fold_constants import quiet_onnxscript
from kgraph.compiler.passes.remove_dropout import RemoveDropoutPass


def optimize(model: ir.Model) -> ir.Model:
    """Optimizes ``model`` in place and returns it (metadata and doc_string kept)."""
    import onnxscript.optimizer

    metadata, doc = dict(model.metadata_props), model.doc_string
    with quiet_onnxscript():
        model = onnxscript.optimizer.optimize(model, inline=False)
    ir.passes.PassManager(
        [
            FoldConstantsPass(),
            RemoveDropoutPass(),
            common.IdentityEliminationPass(),
            FoldConvAffinePass(),
            FuseConvBiasPass(),
            FoldMatMulAffinePass(),
            ReadableOpsPass(),
            common.RemoveUnusedNodesPass(),
            common.DeduplicateInitializersPass(),
            common.TopologicalSortPass(),
        ]
    )(model)
    model.metadata_props.update(metadata)
    model.doc_string = doc
    return model
