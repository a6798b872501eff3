"""Graph passes, one per file, composed into the pipelines the compiler runs."""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes.common as common

from compiler.passes.cancel_transposes import CancelTransposesPass
from compiler.passes.fold_constant_transposes import FoldConstantTransposesPass
from compiler.passes.fuse_conv_bias import FuseConvBiasPass
from compiler.passes.sink_transposes import SinkTransposesPass


def layout_passes() -> list[ir.passes.PassBase]:
    """Passes that remove layout Transposes between channels-first ops (training and inference)."""
    return [SinkTransposesPass(), CancelTransposesPass(), common.RemoveUnusedNodesPass()]


def inference_passes() -> ir.passes.PassManager:
    """The inference pipeline: clean-ups that keep results numerically equal."""
    return ir.passes.PassManager([
        FoldConstantTransposesPass(),
        *layout_passes(),
        FuseConvBiasPass(),
        common.RemoveUnusedNodesPass(),
        common.TopologicalSortPass(),
    ])


__all__ = [
    "CancelTransposesPass", "FoldConstantTransposesPass", "FuseConvBiasPass",
    "SinkTransposesPass", "inference_passes", "layout_passes",
]
