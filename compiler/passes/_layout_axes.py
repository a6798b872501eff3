"""Ops with axes that a layout Transpose can cross, and their axes renumbered for it.

``op(Transpose(x, perm), axis=a)`` equals ``Transpose(op(x, axis=perm[a]), perm)`` for
``Softmax``/``LogSoftmax`` (opset >= 13, which normalise along one axis), ``Concat`` and the
``Reduce*`` ops that keep the reduced dims. A ``Reduce*`` op that drops them reads the same
values in the same order from either layout when the kept axes stay in order (a global pooling
``mean over (H, W)`` of NHWC ↔ ``mean over (2, 3)`` of NCHW): its output needs no Transpose.
"""

from __future__ import annotations

import onnx_ir as ir

AXIS_OPS = {"Softmax": 13, "LogSoftmax": 13, "Concat": 1}  # op -> first per-axis opset
REDUCE_OPS = frozenset(
    {
        "ReduceMean",
        "ReduceSum",
        "ReduceMax",
        "ReduceMin",
        "ReduceProd",
        "ReduceSumSquare",
        "ReduceL1",
        "ReduceL2",
        "ReduceLogSum",
        "ReduceLogSumExp",
    }
)


def reduce_axes(node: ir.Node, rank: int) -> list[int] | None:
    """The normalised axes of a Reduce* node (all of them when none are given); None when
    they are not constant or the node is a no-op without axes."""
    axes_input = node.inputs[1] if len(node.inputs) > 1 else None
    if axes_input is not None:
        if axes_input.const_value is None or axes_input.is_graph_input():
            return None
        axes = [int(a) for a in axes_input.const_value.numpy().reshape(-1)]
    else:
        found = node.attributes.get("axes")
        axes = list(found.as_ints()) if found is not None else []
    if not axes:
        noop = node.attributes.get("noop_with_empty_axes")
        return None if noop is not None and noop.as_int() else list(range(rank))
    return sorted(a % rank for a in axes)


def keeps_dims(node: ir.Node) -> bool:
    """Whether ``node``'s output has its input's rank (False for a Reduce* without keepdims)."""
    if node.op_type not in REDUCE_OPS:
        return True
    keepdims = node.attributes.get("keepdims")
    return keepdims is None or bool(keepdims.as_int())


def can_cross(node: ir.Node, perm: list[int], opset: int) -> bool:
    """Whether a Transpose by ``perm`` on input 0 can move below ``node`` (axes-wise)."""
    op = node.op_type
    if op in AXIS_OPS:
        return opset >= AXIS_OPS[op]
    if op not in REDUCE_OPS:
        return False
    axes = reduce_axes(node, len(perm))
    if axes is None:
        return False
    kept = [perm[i] for i in range(len(perm)) if i not in axes]
    return keeps_dims(node) or kept == sorted(kept)


def renumber(node: ir.Node, perm: list[int]) -> list[int] | None:
    """Rewrites ``node``'s axes attribute for its input moved to the Transpose's source layout;
    returns the new axes when they are an input (the caller makes the constant)."""
    rank = len(perm)
    if node.op_type in AXIS_OPS:
        axis = node.attributes.get("axis")
        axis = axis.as_int() if axis is not None else -1
        node.attributes["axis"] = ir.AttrInt64("axis", perm[axis % rank])
    elif node.op_type in REDUCE_OPS:
        axes = sorted(perm[a] for a in reduce_axes(node, rank))
        if len(node.inputs) > 1 and node.inputs[1] is not None:
            return axes
        if "axes" in node.attributes:
            node.attributes["axes"] = ir.AttrInt64s("axes", axes)
    return None
