"""onnxscript's constant folding, as one pass of our pipelines.

In an inference graph, parameters are initializers, so everything computed from parameters
alone (BatchNormalization's ``gamma / sqrt(moving_variance + eps)``, layout Transposes of
per-channel vectors) folds into new initializers, named after the value they replace.
"""

from __future__ import annotations

import contextlib
import logging

import onnx_ir as ir
import onnxscript.optimizer


@contextlib.contextmanager
def quiet_onnxscript():
    """Raises onnxscript's optimizer loggers to ERROR inside the block. Its constant folder
    logs a WARNING for each node it leaves unfolded (a Split with several outputs, a ConvLSTM's
    gate kernels): its own choices, nothing a user can act on, yet Python prints them on stderr
    during ``predict`` when the program configured no logging."""
    logger = logging.getLogger("onnxscript.optimizer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class FoldConstantsPass(ir.passes.InPlacePass):
    """Replaces nodes whose inputs are all constant by initializers holding their results."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        with quiet_onnxscript():
            result = onnxscript.optimizer.fold_constants(model)
        return ir.passes.PassResult(model, bool(result.modified))
