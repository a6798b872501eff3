"""Metric-learning losses: Keras' Circle loss over the batch's pairwise cosine distances.

Each sample's loss is ``softplus(lse(positive pairs) + lse(negative pairs))`` of the weighted
distances; samples whose loss underflows to 0 (no positive pair) are masked out of the mean, as
Keras masks them. The log-sum-exp over a masked row is written out (max-shifted, empty rows
give -1e30 rather than -inf, and masked entries never reach the Exp) so that its gradient
stays finite.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import binary, const, dims, reduce, shaped, to_float

_EMPTY = -1e30


def _masked_logsumexp(b: GraphBuilder, x: ir.Value, mask: ir.Value) -> ir.Value:
    """``log(sum(exp(x)))`` over the True entries of each row; ``_EMPTY`` for empty rows."""
    rows = dims(x)[0]
    low = const(b, _EMPTY)
    top = reduce(b, "ReduceMax", shaped(b.op("Where", [mask, x, low]), dims(x)), [1], keepdims=True)
    inside = b.op("Where", [mask, x, top])  # masked entries never overflow the Exp
    shifted = b.op("Exp", [b.op("Sub", [inside, top])])
    total = reduce(
        b, "ReduceSum", shaped(b.op("Where", [mask, shifted, const(b, 0.0)]), dims(x)), [1]
    )
    some = b.op("Greater", [total, const(b, 0.0)])
    safe = b.op("Where", [some, total, const(b, 1.0)])
    top = shaped(b.op("Reshape", [top, b.constant(np.asarray([-1], np.int64))]), [rows])
    value = b.op("Add", [b.op("Log", [safe]), top])
    return shaped(b.op("Where", [some, value, low]), [rows])


def _label_masks(b: GraphBuilder, labels: ir.Value, remove_diagonal: bool):
    column = b.op("Reshape", [labels, b.constant(np.asarray([-1, 1], np.int64))])
    row = b.op("Reshape", [labels, b.constant(np.asarray([1, -1], np.int64))])
    same = b.op("Equal", [column, row])
    positive = same
    if remove_diagonal:
        eye = b.op("EyeLike", [b.op("Cast", [same], {"to": ir.DataType.FLOAT})])
        off_diagonal = b.op("Equal", [eye, const(b, 0.0)])
        positive = b.op("And", [same, off_diagonal])
    return positive, b.op("Not", [same])


def circle(b: GraphBuilder, y_true: ir.Value, y_pred: ir.Value, cfg) -> tuple[ir.Value, ir.Value]:
    """Per-sample Circle loss of integer labels and L2-normalised embeddings, and its mask."""
    gamma, margin = float(cfg["gamma"]), float(cfg["margin"])
    emb = to_float(b, y_pred)
    rows = dims(emb)[0]
    labels = b.op("Cast", [y_true], {"to": ir.DataType.INT64})
    similarity = b.op("MatMul", [emb, b.op("Transpose", [emb], {"perm": [1, 0]})])
    dist = b.op("Max", [b.op("Sub", [const(b, 1.0), similarity]), const(b, 0.0)])
    positive, negative = _label_masks(b, labels, bool(cfg["remove_diagonal"]))
    pos_f = b.op("Cast", [positive], {"to": ir.DataType.FLOAT})
    neg_f = b.op("Cast", [negative], {"to": ir.DataType.FLOAT})
    zero = const(b, 0.0)
    pos_w = b.op("Max", [b.op("Mul", [b.op("Add", [dist, const(b, margin)]), pos_f]), zero])
    neg_w = b.op("Max", [b.op("Mul", [b.op("Sub", [const(b, 1 + margin), dist]), neg_f]), zero])
    pos_d = b.op("Sub", [const(b, margin), dist])
    neg_d = b.op("Sub", [const(b, 1 - margin), dist])
    pos_terms = shaped(b.op("Mul", [b.op("Mul", [pos_w, pos_d]), const(b, -gamma)]), [rows, rows])
    neg_terms = shaped(b.op("Mul", [b.op("Mul", [neg_w, neg_d]), const(b, gamma)]), [rows, rows])
    total = binary(
        b,
        "Add",
        _masked_logsumexp(b, pos_terms, positive),
        _masked_logsumexp(b, neg_terms, negative),
    )
    loss = shaped(b.op("Softplus", [total]), [rows])
    return loss, shaped(b.op("Greater", [loss, zero]), [rows], np.bool_)
