"""Gradient rules of the ops image sampling lowers to: GatherND and Mod.

``kgraph.ops.image`` resamples images with ``GatherND`` (``batch_dims`` 0 or 1) at integer
indices computed with ``Mod`` (wrap / mirror / reflect fill modes). Indices carry no gradient;
the image does, so an augmentation layer after trainable layers can be differentiated.
"""

from __future__ import annotations

import numpy as np

from kgraph.compiler.autodiff.emit import attr, ints, is_float, rank, scatter_add, zeros_like
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.unbroadcast import unbroadcast


@rule("GatherND")
def _gather_nd(b, node, grads):
    """ScatterND(add) of the gradient into zeros; with ``batch_dims=1`` each index tuple gets
    its batch position prepended (ScatterND has no batch_dims)."""
    data, indices = node.inputs
    idx = b.op("Cast", [indices], {"to": 7})  # int64
    batch_dims = attr(node, "batch_dims", 0)
    if batch_dims not in (0, 1):
        raise NotImplementedError(f"No GatherND gradient for batch_dims={batch_dims}.")
    if batch_dims == 1:
        shape = b.op("Shape", [idx])
        count = b.op("Squeeze", [b.op("Shape", [idx], {"end": 1}), ints(b, [0])])
        zero, one = (b.constant(np.asarray(v, np.int64)) for v in (0, 1))
        positions = b.op("Range", [zero, count, one])
        positions = b.op("Reshape", [positions, ints(b, [-1] + [1] * (rank(indices) - 1))])
        lead = b.op(
            "Concat",
            [b.op("Slice", [shape, ints(b, [0]), ints(b, [-1])]), ints(b, [1])],
            {"axis": 0},
        )
        idx = b.op("Concat", [b.op("Expand", [positions, lead]), idx], {"axis": -1})
    return [scatter_add(b, "ScatterND", data, zeros_like(b, data), idx, grads[0]), None]


@rule("Mod")
def _mod(b, node, grads):
    """Float Mod: ``d/da = 1``, ``d/db = -floor(a / b)`` (``fmod=1``: ``-trunc(a / b)``);
    integer Mod (index arithmetic) carries no gradient."""
    a, m = node.inputs
    if not is_float(node.outputs[0]):
        return [None, None]
    g = grads[0]
    ratio = b.op("Div", [a, m])
    whole = b.op("Floor", [ratio])
    if attr(node, "fmod", 0):
        whole = b.op("Mul", [b.op("Sign", [ratio]), b.op("Floor", [b.op("Abs", [ratio])])])
    dm = b.op("Neg", [b.op("Mul", [g, whole])])
    shape = node.outputs[0].shape
    return [unbroadcast(b, g, a, shape), unbroadcast(b, dm, m, shape)]
