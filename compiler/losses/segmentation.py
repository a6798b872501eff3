"""Overlap losses for segmentation, Dice and Tversky: ``1 - overlap ratio`` over ``axis``
(every axis when None, giving one value for the whole batch, as Keras does)."""

from __future__ import annotations

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import binary, const, dims, reduce, shaped

EPSILON = 1e-7


def _axes(x: ir.Value, axis) -> list[int] | None:
    if axis is None:
        return list(range(len(dims(x))))
    return [int(a) for a in axis] if isinstance(axis, (list, tuple)) else [int(axis)]


def _sum(b: GraphBuilder, x: ir.Value, axis) -> ir.Value:
    return reduce(b, "ReduceSum", x, _axes(x, axis))


def _one_minus(b: GraphBuilder, ratio: ir.Value) -> ir.Value:
    return shaped(b.op("Sub", [const(b, 1.0), ratio]), dims(ratio))


def dice(b, y_true, y_pred, cfg):
    """``1 - 2 sum(y p) / (sum(y) + sum(p) + eps)``."""
    axis = cfg["axis"]
    inter = _sum(b, binary(b, "Mul", y_true, y_pred), axis)
    total = b.op("Add", [_sum(b, y_true, axis), _sum(b, y_pred, axis)])
    den = b.op("Add", [total, const(b, EPSILON)])
    ratio = b.op("Div", [b.op("Mul", [inter, const(b, 2.0)]), den])
    return _one_minus(b, shaped(ratio, dims(inter)))


def tversky(b, y_true, y_pred, cfg):
    """``1 - sum(y p) / (sum(y p) + alpha sum(y (1 - p)) + beta sum(p (1 - y)) + eps)``
    (Keras' weighting: ``alpha`` on the missed targets, ``beta`` on the false alarms)."""
    axis, one = cfg["axis"], const(b, 1.0)
    inter = _sum(b, binary(b, "Mul", y_true, y_pred), axis)
    not_pred = shaped(b.op("Sub", [one, y_pred]), dims(y_pred))
    not_true = shaped(b.op("Sub", [one, y_true]), dims(y_true))
    missed = _sum(b, binary(b, "Mul", not_pred, y_true), axis)
    extra = _sum(b, binary(b, "Mul", y_pred, not_true), axis)
    den = b.op("Add", [inter, b.op("Mul", [missed, const(b, float(cfg["alpha"]))])])
    den = b.op("Add", [den, b.op("Mul", [extra, const(b, float(cfg["beta"]))])])
    ratio = b.op("Div", [inter, b.op("Add", [den, const(b, EPSILON)])])
    return _one_minus(b, shaped(ratio, dims(inter)))
