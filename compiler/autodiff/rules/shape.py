"""Gradient rules of data-movement ops: reshapes, permutations, joins, slices and gathers."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.autodiff.emit import (
    attr,
    constant_value,
    dims,
    flat,
    input_at,
    ints,
    is_float,
    np_dtype,
    rank,
    reshape_like,
    scatter_add,
    scatter_flat,
    shape_of,
    transpose,
    zeros_like,
)
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.unbroadcast import unbroadcast


@rule("Reshape", "Flatten", "Squeeze", "Unsqueeze")
def _reshape(b, node, grads):
    """Each only regroups the elements of input 0: reshape the gradient back."""
    return [reshape_like(b, grads[0], node.inputs[0])]


@rule("Transpose")
def _transpose(b, node, grads):
    perm = attr(node, "perm") or list(reversed(range(rank(node.inputs[0]))))
    return [transpose(b, grads[0], np.argsort(perm).tolist())]


@rule("Expand")
def _expand(b, node, grads):
    return [unbroadcast(b, grads[0], node.inputs[0], node.outputs[0].shape), None]


@rule("Concat")
def _concat(b, node, grads):
    if len(node.inputs) == 1:
        return [grads[0]]
    axis = attr(node, "axis") % rank(node.outputs[0])
    sizes = [dims(x)[axis] for x in node.inputs]
    if None in sizes:
        split = b.op(
            "Concat",
            [b.op("Shape", [x], {"start": axis, "end": axis + 1}) for x in node.inputs],
            {"axis": 0},
        )
    else:
        split = ints(b, sizes)
    parts = b.op("Split", [grads[0], split], {"axis": axis}, num_outputs=len(node.inputs))
    return [p if is_float(x) else None for p, x in zip(parts, node.inputs)]


@rule("Split")
def _split(b, node, grads):
    parts = [g if g is not None else zeros_like(b, y) for g, y in zip(grads, node.outputs)]
    return [b.op("Concat", parts, {"axis": attr(node, "axis", 0)}), None]


@rule("Slice")
def _slice(b, node, grads):
    """Slices an index map of the input the same way, then scatters the gradient there."""
    x = node.inputs[0]
    flat_index = flat(b, b.op("Slice", [_index_map(b, x), *node.inputs[1:]]))
    return [scatter_flat(b, x, flat_index, flat(b, grads[0]), reduction="none")]


@rule("Gather")
def _gather(b, node, grads):
    """ScatterND(add) of the gradient into zeros, along the gathered axis moved to the front."""
    data, indices = node.inputs
    r, q = rank(data), rank(indices)
    axis = attr(node, "axis", 0) % r
    int64 = ir.DataType.INT64
    idx = indices if indices.dtype == int64 else b.op("Cast", [indices], {"to": int64})
    known = constant_value(indices)
    if known is None or (known < 0).any():
        size = b.op("Gather", [b.op("Shape", [data]), b.constant(np.int64(axis))])  # scalars:
        zero = b.constant(np.int64(0))  # a scalar index must stay rank 0
        idx = b.op("Where", [b.op("Less", [idx, zero]), b.op("Add", [idx, size]), idx])
    idx = b.op("Unsqueeze", [idx, ints(b, [-1])])
    g = grads[0]
    if axis == 0:
        return [scatter_add(b, "ScatterND", data, zeros_like(b, data), idx, g), None]
    perm = [axis, *range(axis), *range(axis + 1, r)]
    value = ir.tensor(np.zeros(1, dtype=np_dtype(data)))
    zeros = b.op(
        "ConstantOfShape", [b.op("Gather", [shape_of(b, data), ints(b, perm)])], {"value": value}
    )
    moved = transpose(b, g, [*range(axis, axis + q), *range(axis), *range(axis + q, r + q - 1)])
    scattered = scatter_add(b, "ScatterND", data, zeros, idx, moved)
    return [transpose(b, scattered, np.argsort(perm).tolist()), None]


@rule("Pad")
def _pad(b, node, grads):
    """Constant padding: padding by the negated pads crops. Other modes (reflect, edge, wrap)
    pad an index map of the input the same way and scatter-add the gradient there."""
    mode = attr(node, "mode", "constant")
    if isinstance(mode, bytes):
        mode = mode.decode()
    if mode != "constant":
        x, pads, axes = node.inputs[0], input_at(node, 1), input_at(node, 3)
        if pads is None:
            raise NotImplementedError(f"No gradient for Pad mode='{mode}' with a pads attribute.")
        index = b.op("Pad", [_index_map(b, x), pads, None, axes], {"mode": mode})
        grad = scatter_flat(b, x, flat(b, index), flat(b, grads[0]), reduction="add")
        return [grad] + [None] * (len(node.inputs) - 1)
    pads = input_at(node, 1)
    if pads is None:  # opset < 11: pads attribute
        return [b.op("Pad", [grads[0]], {"pads": [-p for p in attr(node, "pads")]})]
    axes = input_at(node, 3)
    inputs = [grads[0], b.op("Neg", [pads])] + ([None, axes] if axes is not None else [])
    return [b.op("Pad", inputs)] + [None] * (len(node.inputs) - 1)


def _index_map(b, x):
    """``arange(x.size).reshape(x.shape)`` as int64."""
    scalar_zero, scalar_one = b.constant(np.int64(0)), b.constant(np.int64(1))
    count = b.op("Size", [x])
    return b.op("Reshape", [b.op("Range", [scalar_zero, count, scalar_one]), shape_of(b, x)])
