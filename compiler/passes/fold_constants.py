"""onnxscript's constant folding, as one pass of our pipelines.

In an inference graph, parameters are initializers, so everything computed from parameters
alone (BatchNormalization's ``gamma / sqrt(moving_variance + eps)``, layout Transposes of
per-channel vectors) folds into new initializers, named after the value they replace.
"""

from __future__ import annotations

import onnx_ir as ir
import onnxscript.optimizer


class FoldConstantsPass(ir.passes.InPlacePass):
    """Replaces nodes whose inputs are all constant by initializers holding their results."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        result = onnxscript.optimizer.fold_constants(model)
        return ir.passes.PassResult(model, bool(result.modified))
