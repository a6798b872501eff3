"""Folds inference BatchNormalization after a Dense layer into its weights, and writes the ones
that follow no linear layer as one ``BatchNormalization`` node.

A Dense layer is ``MatMul(x, W)`` then ``Add(b)``; an inference BatchNormalization on its last
axis is ``Sub(mean)``, ``Mul(scale)``, ``Add(beta)`` by constant vectors. The whole chain is one
per-column affine map ``y = (x @ W) * s + t``, which becomes ``MatMul(x, W * s)`` + ``Add(t)``.
A ``Sub``/``Mul``(/``Add``) chain that is left (after an activation, say) on the channels of
an ``(N, C)`` or ``(N, C, …)`` tensor becomes ``BatchNormalization(x, scale, beta, mean, 1)``
with ``epsilon = 0``: Netron then shows one node where there were three. Results equal the
unfolded chain to float rounding.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes._transpose_utils import sole_consumer
from kgraph.compiler.passes.readable_ops import new_initializer, replace_chain


def _vector(value: ir.Value | None, columns: int | None, rank: int = 2) -> np.ndarray | None:
    """The constant ``value`` as a ``(columns,)`` vector when it broadcasts along the channel
    axis of a rank-``rank`` tensor: the last one for rank 2, axis 1 (NC…) above."""
    if value is None or value.const_value is None or not isinstance(columns, int):
        return None
    array = value.const_value.numpy()
    if array.size == 1:
        return np.full(columns, array.reshape(()), array.dtype)
    if rank == 2 and array.shape[-1:] == (columns,) and array.size == columns:
        return array.reshape(columns)
    trailing = (1,) * (rank - 2)
    if rank > 2 and array.shape in ((columns, *trailing), (1, columns, *trailing)):
        return array.reshape(columns)
    return None


def _steps(start: ir.Value, columns: int | None, limit: int = 4, rank: int = 2):
    """The per-column constant ``Add``/``Sub``/``Mul`` nodes after ``start``, in order, with the
    affine map ``(scale, shift)`` they compose to."""
    steps, value = [], start
    scale, shift = np.ones(columns or 0), np.zeros(columns or 0)
    while len(steps) < limit:
        node = sole_consumer(value)
        if node is None or node.op_type not in ("Add", "Sub", "Mul") or len(node.inputs) != 2:
            break
        first = node.inputs[0] is value
        vector = _vector(node.inputs[1] if first else node.inputs[0], columns, rank)
        if vector is None or (node.op_type == "Sub" and not first):
            break
        if node.op_type == "Mul":
            scale, shift = scale * vector, shift * vector
        else:
            shift = shift + vector if node.op_type == "Add" else shift - vector
        steps.append(node)
        value = node.outputs[0]
    return steps, scale, shift


def _fold_into_matmul(graph: ir.Graph, matmul: ir.Node) -> bool:
    weight = matmul.inputs[1]
    if weight is None or weight.const_value is None or len(weight.shape or ()) != 2:
        return False
    array = weight.const_value.numpy()
    steps, scale, shift = _steps(matmul.outputs[0], array.shape[1])
    if not any(step.op_type in ("Mul", "Sub") for step in steps) or len(steps) < 2:
        return False  # a plain bias Add stays as the layer emitted it
    dtype = array.dtype
    folded = new_initializer(graph, f"{matmul.name}/W", (array * scale).astype(dtype))
    matmul.replace_input_with(1, folded)
    bias = new_initializer(graph, f"{matmul.name}/B", shift.astype(dtype))
    last = steps[-1]
    # the Dense layer's own bias Add now: a folded BatchNormalization leaves no node
    replace_chain(graph, last, "Add", [matmul.outputs[0], bias], {}, steps[:-1], owner=matmul)
    return True


def _batch_norm(graph: ir.Graph, sub: ir.Node) -> bool:
    x = sub.inputs[0]
    if x is None or x.shape is None or len(x.shape) < 2 or x.dtype is None:
        return False
    if not isinstance(x.shape[1], int):  # a None channel count: no per-channel vector
        return False
    rank = len(x.shape)
    steps, scale, shift = _steps(x, x.shape[1], limit=3, rank=rank)
    if [s.op_type for s in steps][:2] != ["Sub", "Mul"] or steps[0] is not sub:
        return False
    mean = _vector(sub.inputs[1], x.shape[1], rank)
    dtype = x.dtype.numpy()
    factor = scale  # (x - mean) * factor + beta
    beta = shift + mean * factor
    names = ("scale", "bias", "mean", "var")
    arrays = (factor, beta, mean, np.ones_like(factor))
    inputs = [x] + [
        new_initializer(graph, f"{sub.name}/{n}", a.astype(dtype)) for n, a in zip(names, arrays)
    ]
    replace_chain(graph, steps[-1], "BatchNormalization", inputs, {"epsilon": 0.0}, steps[:-1])
    return True


class FoldMatMulAffinePass(ir.passes.InPlacePass):
    """``MatMul(x, W) → Add/Sub/Mul`` by per-column constants → ``MatMul(x, W') → Add(b')``;
    a remaining per-channel ``Sub → Mul (→ Add)`` chain → one ``BatchNormalization``."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        modified = False
        for node in list(graph):
            if node.graph is None:
                continue
            if node.op_type == "MatMul":
                modified |= _fold_into_matmul(graph, node)
            elif node.op_type == "Sub":
                modified |= _batch_norm(graph, node)
        return ir.passes.PassResult(model, modified)
