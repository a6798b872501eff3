"""Graph passes, one per file, composed into the pipelines the compiler runs."""

from __future__ import annotations

import onnx_ir as ir
import onnx_ir.passes.common as common


def inference_passes() -> ir.passes.PassManager:
    """The inference pipeline: clean-ups that keep results numerically equal."""
    return ir.passes.PassManager([
        common.RemoveUnusedNodesPass(),
        common.TopologicalSortPass(),
    ])
