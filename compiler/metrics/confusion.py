"""Confusion-matrix metrics: TruePositives/FalsePositives/TrueNegatives/FalseNegatives,
Precision, Recall, AUC and the four "X at Y" metrics, as Keras 3 computes them.

The state holds (weighted) counts per threshold; a prediction is positive at a threshold when it
is strictly greater, a label when it is non-zero. With every threshold evenly spread over
``[0, 1]`` Keras buckets predictions clipped to ``[0, 1]``; clipping first and then comparing
gives the same counts. Counts are a ``MatMul`` of the (thresholds x entries) positive mask with
the weighted labels, so a batch costs one pass whatever the number of thresholds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import (
    binary,
    const,
    dims,
    reduce,
    shaped,
    squeeze_or_expand,
    to_float,
    unsqueeze_last,
)

EPSILON = 1e-7
NEG_INF = -1e10
COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")
AT = {  # metric -> (constraint hyper-parameter, constrained rate, maximised rate)
    "sensitivity_at_specificity": ("specificity", "specificity", "recall"),
    "specificity_at_sensitivity": ("sensitivity", "recall", "specificity"),
    "precision_at_recall": ("recall", "recall", "precision"),
    "recall_at_precision": ("precision", "precision", "recall"),
}
_PR = {"thresholds": None, "top_k": None, "class_id": None}
CONFUSION_DEFAULTS: dict[str, dict[str, Any]] = {
    **{name: {"thresholds": None} for name in COUNTS},
    "precision": dict(_PR),
    "recall": dict(_PR),
    **{
        name: {param: None, "num_thresholds": 200, "class_id": None}
        for name, (param, *_) in AT.items()
    },
    "auc": {
        "num_thresholds": 200,
        "curve": "ROC",
        "summation_method": "interpolation",
        "thresholds": None,
        "multi_label": False,
        "num_labels": None,
        "label_weights": None,
        "from_logits": False,
    },
}


def _evenly(n: int) -> list[float]:
    return [(i + 1) * 1.0 / (n - 1) for i in range(n - 2)]


def _evenly_spread(thresholds: list[float]) -> bool:
    """Keras' test for its bucketed update: at least 3 thresholds at ``i / (n - 1)``."""
    n = len(thresholds)
    grid = np.arange(n, dtype=np.float32) / max(n - 1, 1)
    return n >= 3 and bool(np.allclose(thresholds, grid, atol=EPSILON))


def thresholds_of(kind: str, cfg: dict[str, Any]) -> tuple[list[float], bool]:
    """The thresholds of a metric and whether they are evenly spread (predictions clipped)."""
    if kind == "auc":
        given = cfg["thresholds"]
        if given is not None:
            inner = sorted(float(t) for t in given)
            return [-EPSILON, *inner, 1.0 + EPSILON], _evenly_spread([0.0, *inner, 1.0])
        return [-EPSILON, *_evenly(int(cfg["num_thresholds"])), 1.0 + EPSILON], True
    if kind in AT:
        n = int(cfg["num_thresholds"])
        return ([0.5], False) if n == 1 else ([0.0, *_evenly(n), 1.0], True)
    given = cfg["thresholds"]
    if given is None:
        default = NEG_INF if cfg.get("top_k") is not None else 0.5
        return [default], False
    listed = [float(given)] if np.ndim(given) == 0 else [float(t) for t in given]
    return listed, _evenly_spread(listed)


def state_shapes(kind: str, cfg: dict[str, Any]) -> dict[str, tuple]:
    n = len(thresholds_of(kind, cfg)[0])
    if kind == "auc" and cfg["multi_label"]:
        if not cfg["num_labels"]:
            raise ValueError(
                "AUC(multi_label=True) needs `num_labels` (or one update to infer it)."
            )
        return {c: (n, int(cfg["num_labels"])) for c in COUNTS}
    names = COUNTS if kind in AT or kind == "auc" else ("true_positives",)
    if kind == "precision":
        names = ("true_positives", "false_positives")
    elif kind == "recall":
        names = ("true_positives", "false_negatives")
    elif kind in COUNTS:
        names = ("accumulator",)
    return {name: (n,) for name in names}


def _const_i64(b: GraphBuilder, values) -> ir.Value:
    return b.constant(np.asarray(values, np.int64))


def _top_k_only(b: GraphBuilder, y_pred: ir.Value, k: int) -> ir.Value:
    """Scores outside each row's top ``k`` replaced by -1e10 (Keras' ``_filter_top_k``)."""
    d = dims(y_pred)
    _, index = b.op("TopK", [y_pred, _const_i64(b, [k])], {"axis": -1}, num_outputs=2)
    onehot = b.op("OneHot", [index, _const_i64(b, [d[-1]]), const(b, [0.0, 1.0])], {"axis": -1})
    mask = reduce(b, "ReduceSum", shaped(onehot, [*d[:-1], k, d[-1]]), [-2])
    kept = b.op("Mul", [y_pred, mask])
    rest = b.op("Mul", [b.op("Sub", [const(b, 1.0), mask]), const(b, NEG_INF)])
    return shaped(b.op("Add", [kept, rest]), d)


def _column(b: GraphBuilder, x: ir.Value, index: int) -> ir.Value:
    out = b.op("Slice", [x, *(_const_i64(b, [v]) for v in (index, index + 1, -1))])
    return shaped(out, [*dims(x)[:-1], 1])


def _prepare(b, cfg, y_true, y_pred, sample_weight, evenly):
    """Predictions, 0/1 labels and weights of one shape (Keras' rank fix-ups, top-k, class)."""
    y_pred, y_true = squeeze_or_expand(b, to_float(b, y_pred), to_float(b, y_true))
    weight = None
    if sample_weight is not None:
        weight = to_float(b, sample_weight)
        extra = len(dims(y_pred)) - len(dims(weight))
        weight = unsqueeze_last(b, weight, extra) if extra > 0 else weight
        weight = shaped(b.op("Expand", [weight, b.op("Shape", [y_pred])]), dims(y_pred))
    if cfg.get("top_k") is not None:
        y_pred = _top_k_only(b, y_pred, int(cfg["top_k"]))
    if cfg.get("class_id") is not None:
        index = int(cfg["class_id"])
        y_pred, y_true = _column(b, y_pred, index), _column(b, y_true, index)
        weight = None if weight is None else _column(b, weight, index)
    if evenly:
        y_pred = shaped(b.op("Clip", [y_pred, const(b, 0.0), const(b, 1.0)]), dims(y_pred))
    label = b.op(
        "Cast", [b.op("Cast", [y_true], {"to": ir.DataType.BOOL})], {"to": ir.DataType.FLOAT}
    )
    return y_pred, shaped(label, dims(y_true)), weight


def confusion_counts(b, kind, cfg, y_true, y_pred, sample_weight) -> dict[str, ir.Value]:
    """This batch's weighted TP/FP/TN/FN per threshold (``(T,)``, or ``(T, labels)``)."""
    thresholds, evenly = thresholds_of(kind, cfg)
    if kind == "auc" and cfg["from_logits"]:
        y_pred = shaped(b.op("Sigmoid", [to_float(b, y_pred)]), dims(y_pred))
    y_pred, label, weight = _prepare(b, cfg, y_true, y_pred, sample_weight, evenly)
    multi = kind == "auc" and cfg["multi_label"]
    if kind == "auc" and not multi and cfg["label_weights"] is not None:
        lw = b.constant(np.asarray(cfg["label_weights"], np.float32))
        lw = shaped(b.op("Expand", [lw, b.op("Shape", [y_pred])]), dims(y_pred))
        weight = lw if weight is None else binary(b, "Mul", weight, lw)
    if not multi:  # every entry is one prediction
        flat = _const_i64(b, [-1])
        y_pred, label = (shaped(b.op("Reshape", [v, flat]), [None]) for v in (y_pred, label))
        weight = None if weight is None else shaped(b.op("Reshape", [weight, flat]), [None])
    not_label = shaped(b.op("Sub", [const(b, 1.0), label]), dims(label))
    pos_w, neg_w = (
        (label, not_label)
        if weight is None
        else (
            binary(b, "Mul", label, weight),
            binary(b, "Mul", not_label, weight),
        )
    )
    shape = [len(thresholds)] + [1] * len(dims(y_pred))
    thr = b.constant(np.asarray(thresholds, np.float32).reshape(shape))
    above = b.op("Cast", [b.op("Greater", [y_pred, thr])], {"to": ir.DataType.FLOAT})
    above = shaped(above, [len(thresholds), *dims(y_pred)])
    if multi:
        tp = reduce(b, "ReduceSum", binary(b, "Mul", above, pos_w), [1])
        fp = reduce(b, "ReduceSum", binary(b, "Mul", above, neg_w), [1])
    else:
        tp = shaped(b.op("MatMul", [above, pos_w]), [len(thresholds)])
        fp = shaped(b.op("MatMul", [above, neg_w]), [len(thresholds)])
    fn = binary(b, "Sub", reduce(b, "ReduceSum", pos_w, [0]), tp)
    tn = binary(b, "Sub", reduce(b, "ReduceSum", neg_w, [0]), fp)
    return dict(zip(COUNTS, (tp, fp, tn, fn)))


def confusion_update(b, kind, cfg, y_true, y_pred, sample_weight, state):
    counts = confusion_counts(b, kind, cfg, y_true, y_pred, sample_weight)
    if kind in COUNTS:
        counts = {"accumulator": counts[kind]}
    return {k: binary(b, "Add", v, counts[k]) for k, v in state.items()}
