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


def folds(node: ir.Node) -> bool | None:
    """onnxscript's ``should_fold``: never a node with string outputs (a TextVectorization's
    padding token): onnxscript writes such a folded value as a tensor that cannot be
    serialized ("Bitwidth not available for ONNX data type: STRING"). None: its own rules."""
    values = [*node.inputs, *node.outputs]
    if any(v is not None and _is_string(v) for v in values) or "value_strings" in node.attributes:
        return False
    return None


def _is_string(value: ir.Value) -> bool:
    known = value.const_value
    return ir.DataType.STRING in (value.dtype, None if known is None else known.dtype)


class FoldConstantsPass(ir.passes.InPlacePass):
    """Replaces nodes whose inputs are all constant by initializers holding their results."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        with quiet_onnxscript():
            result = onnxscript.optimizer.fold_constants(model, should_fold=folds)
        return ir.passes.PassResult(model, bool(result.modified))
