"""Graph passes, one per file, composed into the pipelines the compiler runs."""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes.common as common

from kgraph.compiler.passes.cancel_transposes import CancelTransposesPass
from kgraph.compiler.passes.deduplicate_transposes import DeduplicateTransposesPass
from kgraph.compiler.passes.elide_expand import ElideExpandPass
from kgraph.compiler.passes.fold_constant_transposes import FoldConstantTransposesPass
from kgraph.compiler.passes.fold_constants import FoldConstantsPass
from kgraph.compiler.passes.fold_conv_affine import FoldConvAffinePass
from kgraph.compiler.passes.fold_flatten_transpose import FoldFlattenTransposePass
from kgraph.compiler.passes.fold_matmul_affine import FoldMatMulAffinePass
from kgraph.compiler.passes.fuse_conv_bias import FuseConvBiasPass
from kgraph.compiler.passes.fuse_conv_bias_input import FuseConvBiasInputPass
from kgraph.compiler.passes.guard_zero_pad_max_pool import GuardZeroPadMaxPoolPass
from kgraph.compiler.passes.inherit_layer_metadata import InheritLayerMetadataPass
from kgraph.compiler.passes.merge_vector_operands import MergeVectorOperandsPass
from kgraph.compiler.passes.readable_ops import ReadableOpsPass
from kgraph.compiler.passes.sink_transposes import SinkTransposesPass


def layout_passes() -> list[ir.passes.PassBase]:
    """Passes that remove layout Transposes between channels-first ops (training and inference),
    then keep onnxruntime from folding a zero Pad into a MaxPool (a wrong result, see
    :class:`GuardZeroPadMaxPoolPass`)."""
    return [
        *forward_layout_passes(),
        ElideExpandPass(),
        GuardZeroPadMaxPoolPass(),
        common.RemoveUnusedNodesPass(),
    ]


def forward_layout_passes() -> list[ir.passes.PassBase]:
    """The layout passes without dead-code removal: safe on a graph that is still being built
    (the training step runs them on the forward graph before autodiff, so that the backward
    graph is derived from the channels-first forward graph)."""
    # Merging, sinking and cancelling alternate until nothing changes: a cancelled pair can free
    # another Transpose to sink (e.g. one feeding both the next conv and a residual Add).
    return [
        ir.passes.PassManager(
            [
                FuseConvBiasInputPass(),
                DeduplicateTransposesPass(),
                SinkTransposesPass(),
                CancelTransposesPass(),
                FoldFlattenTransposePass(),
            ],
            steps=6,
            early_stop=True,
        ),
        MergeVectorOperandsPass(),  # BatchNormalization centres once (after the chains settle)
    ]


def inference_passes() -> ir.passes.PassManager:
    """The inference pipeline: clean-ups that keep results numerically equal."""
    return ir.passes.PassManager(
        [
            FoldConstantTransposesPass(),
            *layout_passes(),
            FoldConstantsPass(),
            FoldConvAffinePass(),
            FuseConvBiasPass(),
            FoldMatMulAffinePass(),
            ReadableOpsPass(),
            common.RemoveUnusedNodesPass(),
            InheritLayerMetadataPass(),
            common.TopologicalSortPass(),
        ]
    )


__all__ = [
    "CancelTransposesPass",
    "DeduplicateTransposesPass",
    "ElideExpandPass",
    "FoldConstantTransposesPass",
    "FoldConstantsPass",
    "FoldConvAffinePass",
    "FoldFlattenTransposePass",
    "FoldMatMulAffinePass",
    "FuseConvBiasInputPass",
    "FuseConvBiasPass",
    "GuardZeroPadMaxPoolPass",
    "InheritLayerMetadataPass",
    "MergeVectorOperandsPass",
    "ReadableOpsPass",
    "SinkTransposesPass",
    "forward_layout_passes",
    "inference_passes",
    "layout_passes",
]
