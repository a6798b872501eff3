"""Crossentropy losses: categorical, sparse, binary, their focal variants and the generalized
crossentropy, each returning one value per sample (the class axis reduced).

Crossentropy stays finite on saturated outputs: when ``from_logits=False`` but ``y_pred`` comes
straight from a ``Softmax`` over the loss axis (``Sigmoid`` for binary), the loss is computed from
that node's input (``LogSoftmax``; the logits formula), so its gradient is ``p - onehot``.
Otherwise probabilities follow Keras: clipped to ``[1e-7, 1 - 1e-7]`` (categorical ones first
renormalised by their sum). Sparse labels (int or float, ``(batch,)`` or ``(batch, 1)``) become
one-hot rows through ``OneHot``, so only ``Mul``/``ReduceSum`` touch the log-probabilities.
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import (
    axis_size,
    binary,
    broadcast_dims,
    const,
    dims,
    is_one,
    logits_of,
    reduce,
    shaped,
    squeeze_axis,
    to_float,
)

EPSILON = 1e-7


def log_probs(b: GraphBuilder, y_pred: ir.Value, axis: int, from_logits: bool) -> ir.Value:
    """``log(softmax)`` of logits (or of the Softmax's input), else Keras' clipped log."""
    logits = y_pred if from_logits else logits_of(b, y_pred, "Softmax", axis)
    if logits is not None:
        return shaped(b.op("LogSoftmax", [to_float(b, logits)], {"axis": axis}), dims(y_pred))
    return shaped(b.op("Log", [normalized_probs(b, y_pred, axis)]), dims(y_pred))


def normalized_probs(b: GraphBuilder, y_pred: ir.Value, axis: int) -> ir.Value:
    """Probabilities rescaled to sum to 1 over ``axis``, clipped to ``[eps, 1 - eps]``."""
    p = to_float(b, y_pred)
    p = binary(b, "Div", p, reduce(b, "ReduceSum", p, [axis], keepdims=True))
    p = b.op("Clip", [p, const(b, EPSILON), const(b, 1.0 - EPSILON)])
    return shaped(p, dims(y_pred))


def smooth_categorical(b: GraphBuilder, y_true: ir.Value, axis: int, smoothing: float):
    """Keras' categorical label smoothing: ``y * (1 - s) + s / classes``."""
    if not smoothing:
        return y_true
    classes = b.op("Cast", [axis_size(b, y_true, axis)], {"to": ir.DataType.FLOAT})
    scaled = b.op("Mul", [y_true, const(b, 1.0 - smoothing)])
    return shaped(b.op("Add", [scaled, b.op("Div", [const(b, smoothing), classes])]), dims(y_true))


def crossentropy(b, y_true, y_pred, axis, from_logits, smoothing) -> ir.Value:
    """Categorical crossentropy of (soft) one-hot ``y_true``."""
    y_true = smooth_categorical(b, y_true, axis, smoothing)
    prod = binary(b, "Mul", y_true, log_probs(b, y_pred, axis, from_logits))
    summed = reduce(b, "ReduceSum", prod, [axis])
    return shaped(b.op("Neg", [summed]), dims(summed))


def sparse_onehot(b, y_true, y_pred, axis, ignore_class=None):
    """Integer labels as one-hot rows of ``y_pred``'s shape, and the mask of kept labels."""
    if len(dims(y_true)) == len(dims(y_pred)) and is_one(dims(y_true)[axis]):
        y_true = squeeze_axis(b, y_true, axis)
    labels = y_true
    if y_true.dtype != ir.DataType.INT64:
        labels = shaped(b.op("Cast", [y_true], {"to": ir.DataType.INT64}), dims(y_true), np.int64)
    valid = None
    if ignore_class is not None:
        ignored = b.constant(np.asarray(int(ignore_class), np.int64))
        valid = shaped(b.op("Not", [b.op("Equal", [labels, ignored])]), dims(labels), np.bool_)
        zero = b.constant(np.asarray(0, np.int64))
        labels = shaped(b.op("Where", [valid, labels, zero]), dims(labels), np.int64)
    depth = axis_size(b, y_pred, axis)
    onehot = b.op("OneHot", [labels, depth, const(b, [0.0, 1.0])], {"axis": axis})
    return shaped(onehot, dims(y_pred)), valid


def sparse_crossentropy(b, y_true, y_pred, cfg) -> tuple[ir.Value, ir.Value | None]:
    axis = cfg["axis"]
    onehot, valid = sparse_onehot(b, y_true, y_pred, axis, cfg["ignore_class"])
    loss = crossentropy(b, onehot, y_pred, axis, cfg["from_logits"], cfg["label_smoothing"])
    if valid is not None:
        loss = shaped(b.op("Where", [valid, loss, const(b, 0.0)]), dims(loss))
    return loss, valid


def _smooth_binary(b, y_true, smoothing):
    z = to_float(b, y_true)
    if not smoothing:
        return z
    scaled = b.op("Mul", [z, const(b, 1.0 - smoothing)])
    return shaped(b.op("Add", [scaled, const(b, 0.5 * smoothing)]), dims(z))


def _bce_elements(b, z, y_pred, from_logits) -> ir.Value:
    logits = y_pred if from_logits else logits_of(b, y_pred, "Sigmoid")
    if logits is not None:  # max(x, 0) - x * z + log(1 + exp(-|x|)), branches picked by x >= 0
        x = to_float(b, logits)  # (Where, not Relu/Abs: the gradient at x = 0 is 0.5 - z)
        pos = b.op("GreaterOrEqual", [x, const(b, 0.0)])
        relu = b.op("Where", [pos, x, const(b, 0.0)])
        exp = b.op("Exp", [b.op("Where", [pos, b.op("Neg", [x]), x])])
        soft = b.op("Log", [b.op("Add", [const(b, 1.0), exp])])
        elem = b.op("Add", [b.op("Sub", [relu, b.op("Mul", [x, z])]), soft])
    else:
        elem = _bce_clipped(b, z, to_float(b, y_pred))
    return shaped(elem, broadcast_dims(dims(z), dims(y_pred)))


def _bce_clipped(b, z, p) -> ir.Value:
    """``-(z * log(p) + (1 - z) * log(1 - p))``, p clipped to ``[eps, 1 - eps]``."""
    p = b.op("Clip", [p, const(b, EPSILON), const(b, 1.0 - EPSILON)])
    one = const(b, 1.0)
    pos = b.op("Mul", [z, b.op("Log", [p])])
    neg = b.op("Mul", [b.op("Sub", [one, z]), b.op("Log", [b.op("Sub", [one, p])])])
    return b.op("Neg", [b.op("Add", [pos, neg])])


def binary_crossentropy(b, y_true, y_pred, cfg) -> ir.Value:
    z = _smooth_binary(b, y_true, cfg["label_smoothing"])
    elem = _bce_elements(b, z, y_pred, cfg["from_logits"])
    return reduce(b, "ReduceMean", elem, [cfg["axis"]])


def binary_focal_crossentropy(b, y_true, y_pred, cfg) -> ir.Value:
    """Keras' focal BCE: ``(1 - p_t) ** gamma`` times the clipped BCE of the probabilities,
    optionally weighted ``alpha`` / ``1 - alpha`` by class, averaged over ``axis``."""
    z = _smooth_binary(b, y_true, cfg["label_smoothing"])
    p = to_float(b, y_pred)
    if cfg["from_logits"]:
        p = b.op("Sigmoid", [p])
    one = const(b, 1.0)
    bce = _bce_clipped(b, z, p)
    not_z, not_p = b.op("Sub", [one, z]), b.op("Sub", [one, p])
    p_t = b.op("Add", [b.op("Mul", [z, p]), b.op("Mul", [not_z, not_p])])
    focal = b.op("Pow", [b.op("Sub", [one, p_t]), const(b, float(cfg["gamma"]))])
    elem = b.op("Mul", [focal, bce])
    if cfg["apply_class_balancing"]:
        alpha = float(cfg["alpha"])
        weight = b.op(
            "Add", [b.op("Mul", [z, const(b, alpha)]), b.op("Mul", [not_z, const(b, 1 - alpha)])]
        )
        elem = b.op("Mul", [weight, elem])
    elem = shaped(elem, broadcast_dims(dims(z), dims(y_pred)))
    return reduce(b, "ReduceMean", elem, [cfg["axis"]])


def categorical_focal_crossentropy(b, y_true, y_pred, cfg) -> ir.Value:
    """Keras' focal CCE: ``alpha * (1 - p) ** gamma * -y * log(p)`` summed over ``axis``, with
    ``p`` the renormalised, clipped probabilities (softmax of logits first)."""
    axis = cfg["axis"]
    y_true = smooth_categorical(b, to_float(b, y_true), axis, cfg["label_smoothing"])
    probs = y_pred
    if cfg["from_logits"]:
        probs = shaped(b.op("Softmax", [to_float(b, y_pred)], {"axis": axis}), dims(y_pred))
    p = normalized_probs(b, probs, axis)
    cce = binary(b, "Mul", y_true, shaped(b.op("Neg", [b.op("Log", [p])]), dims(p)))
    modulating = b.op("Pow", [b.op("Sub", [const(b, 1.0), p]), const(b, float(cfg["gamma"]))])
    weight = shaped(b.op("Mul", [modulating, const(b, float(cfg["alpha"]))]), dims(p))
    return reduce(b, "ReduceSum", binary(b, "Mul", weight, cce), [axis])


def categorical_generalized_cross_entropy(b, y_true, y_pred, cfg) -> ir.Value:
    """``(1 - p_y ** q) / q`` with ``p_y`` the predicted probability of the integer label."""
    onehot, _ = sparse_onehot(b, y_true, y_pred, -1)
    p = reduce(b, "ReduceSum", binary(b, "Mul", to_float(b, y_pred), onehot), [-1])
    q = float(cfg["q"])
    powered = b.op("Pow", [p, const(b, q)])
    return shaped(b.op("Div", [b.op("Sub", [const(b, 1.0), powered]), const(b, q)]), dims(p))
