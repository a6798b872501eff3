"""Small lowering helpers that hide opset differences from the op definitions."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder, ir_dtype


def reduce(b: GraphBuilder, op_type: str, x: ir.Value, axes, keepdims: bool) -> ir.Value:
    """Emits a Reduce* node over ``axes``; axes are an input from opset 18 (ReduceSum: 13)."""
    keep = int(bool(keepdims))
    if op_type == "ReduceSum" or b.opset >= 18:
        return b.op(op_type, [x, b.constant(np.asarray(axes, np.int64))], {"keepdims": keep})
    return b.op(op_type, [x], {"axes": list(axes), "keepdims": keep})


def axes_input(b: GraphBuilder, axes) -> ir.Value:
    """An int64 constant holding ``axes`` (for Unsqueeze/Squeeze and friends)."""
    return b.constant(np.asarray(list(axes), np.int64))


def cast(b: GraphBuilder, x: ir.Value, dtype: str) -> ir.Value:
    """Emits a Cast to ``dtype``."""
    return b.op("Cast", [x], {"to": ir_dtype(dtype)})


def scalar(b: GraphBuilder, value, dtype: str) -> ir.Value:
    """A 0-d constant of ``dtype``."""
    return b.constant(np.asarray(value, dtype=dtype))


def transpose(b: GraphBuilder, x: ir.Value, perm) -> ir.Value:
    """Emits a Transpose with ``perm``."""
    return b.op("Transpose", [x], {"perm": list(perm)})


def to_channels_first(rank: int) -> list[int]:
    """Permutation NH…WC → NCH…W for a tensor of ``rank``."""
    return [0, rank - 1, *range(1, rank - 1)]


def to_channels_last(rank: int) -> list[int]:
    """Permutation NCH…W → NH…WC for a tensor of ``rank``."""
    return [0, *range(2, rank), 1]
