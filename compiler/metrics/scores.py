"""Score metrics with per-class state: FBetaScore/F1Score, the IoU family (a confusion matrix)
and R2Score, as Keras 3 computes them.

Their state shapes depend on the number of classes, which the spec carries (``num_classes``:
given by the user for IoU, filled from the predictions' last dim for F-scores and R2, see
:func:`compiler.metrics.complete_spec`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx_ir as ir

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
_IOU = {"num_classes": None, "ignore_class": None, "axis": -1}
SCORE_DEFAULTS: dict[str, dict[str, Any]] = {
    "fbeta_score": {"average": None, "beta": 1.0, "threshold": None, "num_classes": None},
    "iou": {**_IOU, "target_class_ids": None, "sparse_y_true": True, "sparse_y_pred": True},
    "binary_iou": {"target_class_ids": (0, 1), "threshold": 0.5, "num_classes": 2},
    "r2_score": {"class_aggregation": "uniform_average", "num_regressors": 0, "num_classes": None},
}
SHAPED_BY_OUTPUT = ("fbeta_score", "r2_score")  # num_classes taken from y_pred's last dim


def score_state(kind: str, cfg: dict[str, Any]) -> dict[str, tuple]:
    n = cfg["num_classes"]
    if n is None:
        raise ValueError(f"Metric '{kind}' needs the number of classes before it is built.")
    n = int(n)
    if kind == "fbeta_score":
        shape = () if cfg["average"] == "micro" else (n,)
        names = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")
        return {name: shape for name in names}
    if kind == "r2_score":
        return {"num_samples": (), **{k: (n,) for k in ("squared_sum", "sum", "residual", "count")}}
    return {"total_confusion_matrix": (n, n)}


def _sum_rows(b, x, weight, cfg):
    """Weighted sum over the batch (and the classes for ``average="micro"``)."""
    if weight is not None:
        x = binary(b, "Mul", x, weight)
    return reduce(b, "ReduceSum", x, None if cfg["average"] == "micro" else [0])


def _fbeta_update(b, cfg, y_true, y_pred, sample_weight, state):
    y_pred, y_true = to_float(b, y_pred), to_float(b, y_true)
    if cfg["threshold"] is None:  # the top score of each row (non-zero) is the prediction
        top = reduce(b, "ReduceMax", y_pred, [-1], keepdims=True)
        is_top = b.op("GreaterOrEqual", [y_pred, top])
        nonzero = b.op("Greater", [b.op("Abs", [y_pred]), const(b, 1e-9)])
        hit = b.op("And", [is_top, nonzero])
    else:
        hit = b.op("Greater", [y_pred, const(b, float(cfg["threshold"]))])
    pred = shaped(b.op("Cast", [hit], {"to": ir.DataType.FLOAT}), dims(y_pred))
    weight = None if sample_weight is None else unsqueeze_last(b, to_float(b, sample_weight))
    one = const(b, 1.0)
    not_pred = shaped(b.op("Sub", [one, pred]), dims(pred))
    not_true = shaped(b.op("Sub", [one, y_true]), dims(y_true))
    adds = {
        "true_positives": binary(b, "Mul", pred, y_true),
        "false_positives": binary(b, "Mul", pred, not_true),
        "false_negatives": binary(b, "Mul", not_pred, y_true),
        "intermediate_weights": y_true,
    }
    return {k: binary(b, "Add", state[k], _sum_rows(b, v, weight, cfg)) for k, v in adds.items()}


def _fbeta_result(b, cfg, s):
    eps, beta2 = const(b, EPSILON), float(cfg["beta"]) ** 2
    tp = s["true_positives"]

    def ratio(other):
        return binary(b, "Div", tp, binary(b, "Add", binary(b, "Add", tp, other), eps))

    precision, recall = ratio(s["false_positives"]), ratio(s["false_negatives"])
    den = binary(b, "Add", binary(b, "Mul", precision, const(b, beta2)), recall)
    mean = binary(b, "Div", binary(b, "Mul", precision, recall), binary(b, "Add", den, eps))
    score = binary(b, "Mul", mean, const(b, 1.0 + beta2))
    if cfg["average"] == "weighted":
        w = s["intermediate_weights"]
        total = binary(b, "Add", reduce(b, "ReduceSum", w), eps)
        return reduce(b, "ReduceSum", binary(b, "Mul", score, binary(b, "Div", w, total)))
    if cfg["average"] is not None:
        return reduce(b, "ReduceMean", score)
    return score


def _class_ids(b, x, sparse, axis, threshold=None):
    """Class ids as int64, flattened (argmax of dense rows, thresholded binary scores)."""
    if threshold is not None:
        x = b.op("GreaterOrEqual", [to_float(b, x), const(b, float(threshold))])
    elif not sparse:
        x = b.op("ArgMax", [x], {"axis": axis, "keepdims": 0})
    ids = b.op("Cast", [x], {"to": ir.DataType.INT64})
    return shaped(b.op("Reshape", [ids, b.constant(np.asarray([-1], np.int64))]), [None], np.int64)


def _iou_update(b, kind, cfg, y_true, y_pred, sample_weight, state):
    n, axis = int(cfg["num_classes"]), cfg.get("axis", -1)
    true_ids = _class_ids(b, y_true, cfg.get("sparse_y_true", True), axis)
    threshold = cfg["threshold"] if kind == "binary_iou" else None
    pred_ids = _class_ids(b, y_pred, cfg.get("sparse_y_pred", True), axis, threshold)
    zero, count = b.constant(np.asarray(0, np.int64)), b.constant(np.asarray(n, np.int64))
    keep = None
    for ids in (true_ids, pred_ids):
        inside = b.op("And", [b.op("GreaterOrEqual", [ids, zero]), b.op("Less", [ids, count])])
        keep = inside if keep is None else b.op("And", [keep, inside])
    if cfg.get("ignore_class") is not None:
        ignored = b.constant(np.asarray(int(cfg["ignore_class"]), np.int64))
        keep = b.op("And", [keep, b.op("Not", [b.op("Equal", [true_ids, ignored])])])
    weight = b.op("Cast", [keep], {"to": ir.DataType.FLOAT})
    if sample_weight is not None:  # Keras' default int dtype truncates the weights
        w = to_float(b, sample_weight)
        if cfg.get("dtype") in (None, "int", "int32", "int64"):
            truncated = b.op("Cast", [w], {"to": ir.DataType.INT64})
            w = shaped(b.op("Cast", [truncated], {"to": ir.DataType.FLOAT}), dims(w))
        ref = y_true  # per-sample weights broadcast over each sample's labels
        if not cfg.get("sparse_y_true", True):
            arg = b.op("ArgMax", [y_true], {"axis": axis, "keepdims": 0})
            ref = shaped(arg, dims(y_true)[:-1], np.int64)
        extra = len(dims(ref)) - len(dims(w))
        w = (
            unsqueeze_last(b, shaped(w, dims(to_float(b, sample_weight))), extra)
            if extra > 0
            else w
        )
        flat = b.constant(np.asarray([-1], np.int64))
        w = b.op("Reshape", [b.op("Expand", [w, b.op("Shape", [ref])]), flat])
        weight = b.op("Mul", [weight, w])
    depth, values = b.constant(np.asarray([n], np.int64)), const(b, [0.0, 1.0])
    rows = b.op("OneHot", [true_ids, depth, values], {"axis": 0})  # (n, N)
    cols = b.op("OneHot", [pred_ids, depth, values], {"axis": -1})  # (N, n)
    cols = b.op("Mul", [cols, b.op("Unsqueeze", [weight, b.constant(np.asarray([1], np.int64))])])
    cm = shaped(b.op("MatMul", [rows, cols]), [n, n])
    key = "total_confusion_matrix"
    return {key: binary(b, "Add", state[key], cm)}


def _iou_result(b, cfg, s):
    cm = s["total_confusion_matrix"]
    n = dims(cm)[0]
    ids = (
        [int(i) for i in cfg["target_class_ids"]]
        if cfg.get("target_class_ids") is not None
        else list(range(n))
    )
    diag = reduce(
        b, "ReduceSum", binary(b, "Mul", cm, b.constant(np.eye(n, dtype=np.float32))), [0]
    )
    den = binary(
        b,
        "Sub",
        binary(b, "Add", reduce(b, "ReduceSum", cm, [0]), reduce(b, "ReduceSum", cm, [1])),
        diag,
    )
    take = b.constant(np.asarray(ids, np.int64))
    tp = shaped(b.op("Gather", [diag, take], {"axis": 0}), [len(ids)])
    den = shaped(b.op("Gather", [den, take], {"axis": 0}), [len(ids)])
    valid = b.op("Greater", [den, const(b, 1e-9)])
    iou = b.op("Div", [tp, b.op("Add", [den, const(b, EPSILON)])])
    iou = shaped(b.op("Where", [valid, iou, const(b, 0.0)]), [len(ids)])
    valid_count = reduce(
        b, "ReduceSum", shaped(b.op("Cast", [valid], {"to": ir.DataType.FLOAT}), [len(ids)])
    )
    return shaped(
        b.op("Div", [reduce(b, "ReduceSum", iou), b.op("Add", [valid_count, const(b, EPSILON)])]),
        [],
    )


def _r2_update(b, cfg, y_true, y_pred, sample_weight, state):
    y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), to_float(b, y_pred))
    weight = const(b, 1.0) if sample_weight is None else to_float(b, sample_weight)
    if sample_weight is not None and len(dims(weight)) == 1:
        weight = unsqueeze_last(b, weight)
    weight = shaped(b.op("Expand", [weight, b.op("Shape", [y_true])]), dims(y_true))
    weighted = binary(b, "Mul", y_true, weight)
    diff = binary(b, "Sub", y_true, y_pred)
    adds = {
        "sum": weighted,
        "squared_sum": binary(b, "Mul", y_true, weighted),
        "residual": binary(b, "Mul", binary(b, "Mul", diff, diff), weight),
        "count": weight,
    }
    new = {k: binary(b, "Add", state[k], reduce(b, "ReduceSum", v, [0])) for k, v in adds.items()}
    size = b.op("Cast", [b.op("Size", [y_true])], {"to": ir.DataType.FLOAT})
    new["num_samples"] = shaped(b.op("Add", [state["num_samples"], size]), [])
    return new


def _r2_result(b, cfg, s):
    mean = binary(b, "Div", s["sum"], s["count"])
    total = binary(b, "Sub", s["squared_sum"], binary(b, "Mul", s["sum"], mean))
    raw = binary(b, "Sub", const(b, 1.0), binary(b, "Div", s["residual"], total))
    raw = shaped(b.op("Where", [b.op("IsInf", [raw]), const(b, 0.0), raw]), dims(raw))
    aggregation = cfg["class_aggregation"]
    if aggregation == "uniform_average":
        score = reduce(b, "ReduceMean", raw)
    elif aggregation == "variance_weighted_average":
        weighted = reduce(b, "ReduceSum", binary(b, "Mul", total, raw))
        score = shaped(b.op("Div", [weighted, reduce(b, "ReduceSum", total)]), [])
    else:
        score = raw
    p = float(cfg["num_regressors"])
    if not p:
        return score
    n = s["num_samples"]  # adjusted R2 only when n - 1 > p (Keras falls back otherwise)
    den = b.op("Sub", [b.op("Sub", [n, const(b, p)]), const(b, 1.0)])
    num = b.op("Mul", [b.op("Sub", [const(b, 1.0), score]), b.op("Sub", [n, const(b, 1.0)])])
    adjusted = b.op("Sub", [const(b, 1.0), b.op("Div", [num, den])])
    usable = b.op("Greater", [b.op("Sub", [n, const(b, 1.0)]), const(b, p)])
    return shaped(b.op("Where", [usable, adjusted, score]), dims(score))


def _check_2d(kind: str, y_true, y_pred) -> None:
    if len(dims(y_pred)) != 2 or len(dims(y_true)) != 2:
        label = "FBetaScore" if kind == "fbeta_score" else "R2Score"
        raise ValueError(
            f"{label} expects 2D inputs with shape (batch_size, output_dim). Received input "
            f"shapes: y_pred.shape={tuple(dims(y_pred))} and y_true.shape={tuple(dims(y_true))}."
        )


def score_update(b, kind, cfg, y_true, y_pred, sample_weight, state):
    if kind == "r2_score":  # Keras aligns the ranks first: (batch,) targets of (batch, 1)
        y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), to_float(b, y_pred))
    if kind in SHAPED_BY_OUTPUT:
        _check_2d(kind, y_true, y_pred)
    if kind == "fbeta_score":
        return _fbeta_update(b, cfg, y_true, y_pred, sample_weight, state)
    if kind == "r2_score":
        return _r2_update(b, cfg, y_true, y_pred, sample_weight, state)
    return _iou_update(b, kind, cfg, y_true, y_pred, sample_weight, state)


def score_result(b, kind, cfg, state):
    if kind == "fbeta_score":
        return _fbeta_result(b, cfg, state)
    if kind == "r2_score":
        return _r2_result(b, cfg, state)
    return _iou_result(b, cfg, state)
