"""Regression, probabilistic (Poisson, KL divergence) and hinge losses: elementwise terms
reduced over the last axis (or ``axis``), one value per sample, with Keras' numerics: the same
``epsilon`` clips and floors, ``log_cosh`` as ``x + softplus(-2x) - log 2`` (finite for large
errors), and binary ``{0, 1}`` hinge labels mapped to ``{-1, 1}``.
"""

from __future__ import annotations

import math

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import binary, broadcast_dims, const, dims, reduce, shaped

EPSILON = 1e-7


def _mean_last(b: GraphBuilder, elem, y_true, y_pred, op="ReduceMean", axis=-1) -> ir.Value:
    elem = shaped(elem, broadcast_dims(dims(y_true), dims(y_pred)))
    return reduce(b, op, elem, [axis])


def mean_squared_error(b, y_true, y_pred, cfg):
    diff = binary(b, "Sub", y_true, y_pred)
    return _mean_last(b, b.op("Mul", [diff, diff]), y_true, y_pred)


def mean_absolute_error(b, y_true, y_pred, cfg):
    return _mean_last(b, b.op("Abs", [binary(b, "Sub", y_true, y_pred)]), y_true, y_pred)


def huber(b, y_true, y_pred, cfg):
    err = binary(b, "Sub", y_pred, y_true)
    abs_err = b.op("Abs", [err])
    delta = float(cfg["delta"])
    quad = b.op("Mul", [const(b, 0.5), b.op("Mul", [err, err])])
    lin = b.op("Sub", [b.op("Mul", [const(b, delta), abs_err]), const(b, 0.5 * delta * delta)])
    elem = b.op("Where", [b.op("LessOrEqual", [abs_err, const(b, delta)]), quad, lin])
    return _mean_last(b, elem, y_true, y_pred)


def mean_absolute_percentage_error(b, y_true, y_pred, cfg):
    """``100 * mean(|y - p| / max(|y|, eps))``."""
    floor = b.op("Max", [b.op("Abs", [y_true]), const(b, EPSILON)])
    ratio = b.op("Abs", [b.op("Div", [binary(b, "Sub", y_true, y_pred), floor])])
    mean = _mean_last(b, ratio, y_true, y_pred)
    return shaped(b.op("Mul", [mean, const(b, 100.0)]), dims(mean))


def mean_squared_logarithmic_error(b, y_true, y_pred, cfg):
    """``mean((log(max(p, eps) + 1) - log(max(y, eps) + 1)) ** 2)``."""

    def log1(x):
        floored = b.op("Max", [x, const(b, EPSILON)])
        return shaped(b.op("Log", [b.op("Add", [floored, const(b, 1.0)])]), dims(x))

    diff = binary(b, "Sub", log1(y_pred), log1(y_true))
    return _mean_last(b, b.op("Mul", [diff, diff]), y_true, y_pred)


def log_cosh(b, y_true, y_pred, cfg):
    x = binary(b, "Sub", y_pred, y_true)
    soft = b.op("Softplus", [b.op("Mul", [x, const(b, -2.0)])])
    elem = b.op("Sub", [b.op("Add", [x, soft]), const(b, math.log(2.0))])
    return _mean_last(b, elem, y_true, y_pred)


def l2_normalize(b: GraphBuilder, x: ir.Value, axis: int) -> ir.Value:
    """``x / max(||x||, eps)`` (as ``sqrt(max(sum x**2, eps**2))``: same value, and a zero
    vector's gradient stays finite)."""
    squares = reduce(b, "ReduceSumSquare", x, [axis], keepdims=True)
    norm = b.op("Sqrt", [b.op("Max", [squares, const(b, EPSILON * EPSILON)])])
    return shaped(b.op("Div", [x, norm]), dims(x))


def cosine_similarity(b, y_true, y_pred, cfg):
    """The loss: ``-sum(normalize(y) * normalize(p))`` over ``axis``."""
    axis = cfg["axis"]
    prod = binary(b, "Mul", l2_normalize(b, y_true, axis), l2_normalize(b, y_pred, axis))
    summed = reduce(b, "ReduceSum", prod, [axis])
    return shaped(b.op("Neg", [summed]), dims(summed))


def poisson(b, y_true, y_pred, cfg):
    """``mean(p - y * log(p + eps))``."""
    log = b.op("Log", [b.op("Add", [y_pred, const(b, EPSILON)])])
    return _mean_last(b, b.op("Sub", [y_pred, b.op("Mul", [y_true, log])]), y_true, y_pred)


def kl_divergence(b, y_true, y_pred, cfg):
    """``sum(y * log(y / p))`` with both clipped to ``[eps, 1]``."""
    lo, hi = const(b, EPSILON), const(b, 1.0)
    y = b.op("Clip", [y_true, lo, hi])
    p = b.op("Clip", [y_pred, lo, hi])
    elem = b.op("Mul", [y, b.op("Log", [b.op("Div", [y, p])])])
    return _mean_last(b, elem, y_true, y_pred, "ReduceSum")


def hinge_labels(b: GraphBuilder, y_true: ir.Value) -> ir.Value:
    """``2y - 1`` when every label is 0 or 1 (Keras' binary labels), else the labels as given."""
    zero_or_one = b.op(
        "Or", [b.op("Equal", [y_true, const(b, 0.0)]), b.op("Equal", [y_true, const(b, 1.0)])]
    )
    all_binary = b.op("ReduceMin", [b.op("Cast", [zero_or_one], {"to": ir.DataType.FLOAT})])
    signed = b.op("Sub", [b.op("Mul", [y_true, const(b, 2.0)]), const(b, 1.0)])
    converted = b.op("Where", [b.op("Greater", [all_binary, const(b, 0.5)]), signed, y_true])
    return shaped(converted, dims(y_true))


def _margin(b, y_true, y_pred):
    y = hinge_labels(b, y_true)
    return b.op("Relu", [b.op("Sub", [const(b, 1.0), binary(b, "Mul", y, y_pred)])])


def hinge(b, y_true, y_pred, cfg):
    return _mean_last(b, _margin(b, y_true, y_pred), y_true, y_pred)


def squared_hinge(b, y_true, y_pred, cfg):
    margin = _margin(b, y_true, y_pred)
    return _mean_last(b, b.op("Mul", [margin, margin]), y_true, y_pred)


def categorical_hinge(b, y_true, y_pred, cfg):
    """``max(max((1 - y) * p) - sum(y * p) + 1, 0)`` over the last axis."""
    pos = _mean_last(b, binary(b, "Mul", y_true, y_pred), y_true, y_pred, "ReduceSum")
    not_true = shaped(b.op("Sub", [const(b, 1.0), y_true]), dims(y_true))
    others = binary(b, "Mul", not_true, y_pred)
    neg = _mean_last(b, others, y_true, y_pred, "ReduceMax")
    margin = b.op("Add", [b.op("Sub", [neg, pos]), const(b, 1.0)])
    return shaped(b.op("Relu", [margin]), dims(pos))
