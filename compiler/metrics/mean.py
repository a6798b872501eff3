"""Mean metrics (Keras' ``MeanMetricWrapper`` family, ``Mean``, ``Sum``, RMSE): per-sample
values summed into ``total`` with their count (or weight) in ``count``; the result is
``total / count`` (its square root for RMSE, ``total`` alone for ``Sum``).

Values: exact/binary/categorical/sparse accuracy, top-k accuracies (a label counts when its score
is at least the k-th largest, ties included, as Keras' ``in_top_k``), every loss Keras also
offers as a metric (through :func:`compiler.losses.per_sample_loss`), and the metric form of
cosine similarity (the loss with its sign flipped).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.losses import LOSS_DEFAULTS, per_sample_loss
from kgraph.compiler.optim._graph import (
    binary,
    broadcast_dims,
    const,
    dims,
    divide_no_nan,
    is_one,
    reduce,
    shaped,
    squeeze_axis,
    squeeze_or_expand,
    to_float,
)

EXACT_MATCH = "exact_match_accuracy"
_CE = {"from_logits": False, "label_smoothing": 0.0}
# canonical metric -> its Keras hyper-parameters and defaults
VALUE_DEFAULTS: dict[str, dict[str, Any]] = {
    "sparse_categorical_accuracy": {},
    "categorical_accuracy": {},
    "binary_accuracy": {"threshold": 0.5},
    EXACT_MATCH: {},
    "top_k_categorical_accuracy": {"k": 5},
    "sparse_top_k_categorical_accuracy": {"k": 5, "from_sorted_ids": False},
    "cosine_similarity": {"axis": -1},
    "root_mean_squared_error": {},
    "binary_crossentropy": dict(_CE),
    "categorical_crossentropy": {**_CE, "axis": -1},
    "sparse_categorical_crossentropy": {"from_logits": False, "ignore_class": None, "axis": -1},
    **{
        name: {}
        for name in (
            "mean_squared_error",
            "mean_absolute_error",
            "mean_absolute_percentage_error",
            "mean_squared_logarithmic_error",
            "log_cosh",
            "kl_divergence",
            "poisson",
            "hinge",
            "squared_hinge",
            "categorical_hinge",
        )
    },
    "huber": {"delta": 1.0},
    "binary_focal_crossentropy": dict(LOSS_DEFAULTS["binary_focal_crossentropy"]),
    "categorical_focal_crossentropy": dict(LOSS_DEFAULTS["categorical_focal_crossentropy"]),
    "pearson_correlation": {"axis": -1},
    "concordance_correlation": {"axis": -1},
    "mean": {},
    "sum": {},
}


def _params(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {k: spec.get(k, v) for k, v in VALUE_DEFAULTS[kind].items()}


def _argmax_f(b: GraphBuilder, x: ir.Value) -> ir.Value:
    d = dims(x)
    arg = b.op("ArgMax", [x], {"axis": len(d) - 1, "keepdims": 0})
    return shaped(b.op("Cast", [arg], {"to": ir.DataType.FLOAT}), d[:-1])


def _matches(b: GraphBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    eq = b.op("Equal", [x, y])
    return shaped(b.op("Cast", [eq], {"to": ir.DataType.FLOAT}), broadcast_dims(dims(x), dims(y)))


def _in_top_k(b: GraphBuilder, labels: ir.Value, y_pred: ir.Value, k: int) -> ir.Value:
    """1.0 where the label's score is at least the k-th largest score of its row."""
    y_pred = to_float(b, y_pred)
    classes = dims(y_pred)[-1]
    k = min(k, classes) if isinstance(classes, int) else k
    top = b.op("TopK", [y_pred, b.constant(np.asarray([k], np.int64))], {"axis": -1}, num_outputs=2)
    kth = b.op("Slice", [top[0], *(b.constant(np.asarray([v], np.int64)) for v in (k - 1, k, -1))])
    index = b.op("Unsqueeze", [labels, b.constant(np.asarray([-1], np.int64))])
    score = b.op("GatherElements", [y_pred, index], {"axis": -1})
    hit = b.op("Cast", [b.op("GreaterOrEqual", [score, kth])], {"to": ir.DataType.FLOAT})
    return shaped(b.op("Squeeze", [hit, b.constant(np.asarray([-1], np.int64))]), dims(labels))


def _int_labels(b: GraphBuilder, y_true: ir.Value, y_pred: ir.Value) -> ir.Value:
    """Sparse labels as int64 of the predictions' rank minus one."""
    if len(dims(y_true)) == len(dims(y_pred)) and is_one(dims(y_true)[-1]):
        y_true = squeeze_axis(b, y_true, -1)
    if y_true.dtype == ir.DataType.INT64:
        return y_true
    return shaped(b.op("Cast", [y_true], {"to": ir.DataType.INT64}), dims(y_true), np.int64)


def _sorted_ids_match(b, y_true, y_pred, k):
    """Sparse top-k from sorted ids: the label is among the first ``k`` ids of its row."""
    ids = to_float(b, y_pred)
    first = b.op("Slice", [ids, *(b.constant(np.asarray([v], np.int64)) for v in (0, k, -1))])
    labels = to_float(b, _int_labels(b, y_true, y_pred))
    index = b.op("Unsqueeze", [labels, b.constant(np.asarray([-1], np.int64))])
    hit = b.op("Cast", [b.op("Equal", [first, index])], {"to": ir.DataType.FLOAT})
    return reduce(b, "ReduceMax", shaped(hit, [*dims(labels), None]), [-1])


def _accuracy(b, kind, params, y_true, y_pred) -> ir.Value:
    if kind == EXACT_MATCH:  # Keras' ``accuracy``: elementwise equality after the rank fix-up
        y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), to_float(b, y_pred))
        return _matches(b, y_true, y_pred)
    if kind == "binary_accuracy":
        y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), y_pred)
        above = b.op("Greater", [to_float(b, y_pred), const(b, float(params["threshold"]))])
        predicted = shaped(b.op("Cast", [above], {"to": ir.DataType.FLOAT}), dims(y_pred))
        return _matches(b, y_true, predicted)
    if kind == "categorical_accuracy":
        return _matches(b, _argmax_f(b, to_float(b, y_true)), _argmax_f(b, to_float(b, y_pred)))
    if kind == "top_k_categorical_accuracy":
        labels = b.op("ArgMax", [to_float(b, y_true)], {"axis": -1, "keepdims": 0})
        labels = shaped(labels, dims(y_true)[:-1], np.int64)
        return _in_top_k(b, labels, y_pred, int(params["k"]))
    if kind == "sparse_top_k_categorical_accuracy":
        if params["from_sorted_ids"]:
            return _sorted_ids_match(b, y_true, y_pred, int(params["k"]))
        return _in_top_k(b, _int_labels(b, y_true, y_pred), y_pred, int(params["k"]))
    # sparse_categorical_accuracy: (batch, 1) targets are squeezed like Keras does
    y_true = to_float(b, y_true)
    if len(dims(y_true)) == len(dims(y_pred)) and is_one(dims(y_true)[-1]):
        y_true = squeeze_axis(b, y_true, -1)
    return _matches(b, y_true, _argmax_f(b, to_float(b, y_pred)))


def _moments(b, x, axis):
    """``(mean, x - mean, population variance)`` along ``axis`` (kept)."""
    mean = reduce(b, "ReduceMean", x, [axis], keepdims=True)
    centred = binary(b, "Sub", x, mean)
    again = binary(b, "Sub", centred, reduce(b, "ReduceMean", centred, [axis], keepdims=True))
    return mean, centred, reduce(b, "ReduceMean", binary(b, "Mul", again, again), [axis], True)


def _correlation(b, kind, axis, y_true, y_pred) -> ir.Value:
    """Keras' per-sample Pearson or concordance coefficient along ``axis`` (the concordance
    covariance centres ``y_true`` on the mean of ``y_pred``, as Keras 3 computes it)."""
    y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), to_float(b, y_pred))
    t_mean, t_centred, t_var = _moments(b, y_true, axis)
    p_mean, p_centred, p_var = _moments(b, y_pred, axis)
    if kind == "pearson_correlation":
        t_norm = binary(b, "Div", t_centred, shaped(b.op("Sqrt", [t_var]), dims(t_var)))
        p_norm = binary(b, "Div", p_centred, shaped(b.op("Sqrt", [p_var]), dims(p_var)))
        return reduce(b, "ReduceMean", binary(b, "Mul", t_norm, p_norm), [axis])
    covar = binary(b, "Mul", binary(b, "Sub", y_true, p_mean), p_centred)
    gap = binary(b, "Sub", t_mean, p_mean)
    norm = binary(b, "Add", binary(b, "Add", t_var, p_var), binary(b, "Mul", gap, gap))
    norm = binary(b, "Add", norm, const(b, 1e-7))
    ratio = binary(b, "Div", binary(b, "Mul", covar, const(b, 2.0)), norm)
    return reduce(b, "ReduceMean", ratio, [axis])


def values_and_mask(b: GraphBuilder, kind: str, spec: dict[str, Any], y_true, y_pred):
    """The values a canonical mean metric averages (matches, errors or losses) and, for
    ``ignore_class``, the bool mask of the entries that count (else None)."""
    params = _params(kind, spec)
    if kind in ("mean", "sum"):  # Keras' Mean/Sum take the values themselves (as y_pred)
        return to_float(b, y_pred), None
    if "accuracy" in kind:
        return _accuracy(b, kind, params, y_true, y_pred), None
    if kind in ("pearson_correlation", "concordance_correlation"):
        return _correlation(b, kind, int(params["axis"]), y_true, y_pred), None
    if kind == "root_mean_squared_error":
        y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), to_float(b, y_pred))
        diff = binary(b, "Sub", y_pred, y_true)
        return binary(b, "Mul", diff, diff), None
    values, mask = per_sample_loss(b, {"name": kind, **params}, y_true, y_pred)
    if kind == "cosine_similarity":  # the metric is the similarity, the loss its negative
        values = shaped(b.op("Neg", [values]), dims(values))
    return values, mask


def metric_values(b: GraphBuilder, kind: str, spec: dict[str, Any], y_true, y_pred) -> ir.Value:
    """The values a canonical mean metric averages (0 at ignored labels)."""
    return values_and_mask(b, kind, spec, y_true, y_pred)[0]


def _mean_axes(b: GraphBuilder, x: ir.Value, start: int, op: str = "ReduceMean") -> ir.Value:
    rank = len(dims(x))
    return reduce(b, op, x, list(range(start, rank))) if rank > start else x


def accumulate(b: GraphBuilder, values, sample_weight, op="ReduceMean", mask=None):
    """Keras' ``Mean.update_state`` reduction: returns ``(sum of values, sample count)``.

    Values are reduced to one per sample with ``op`` (``ReduceSum`` for ``Sum``). With sample
    weights, entries where ``mask`` is False (``ignore_class``) get weight 0; without, they
    count as zeros, as Keras' ``Mean`` applies a values' mask only to given weights.
    """
    if mask is not None and sample_weight is not None:
        keep = shaped(b.op("Cast", [mask], {"to": ir.DataType.FLOAT}), dims(mask))
        keep, weight = squeeze_or_expand(b, keep, to_float(b, sample_weight))
        sample_weight = binary(b, "Mul", keep, weight)
    if sample_weight is not None:
        values, weight = squeeze_or_expand(b, values, to_float(b, sample_weight))
        w_rank = len(dims(weight))
        values = _mean_axes(b, values, w_rank, op)
        weight = shaped(b.op("Expand", [weight, b.op("Shape", [values])]), dims(values))
        values = binary(b, "Mul", values, weight)
        sample_weight = _mean_axes(b, weight, 1, op)
    values = _mean_axes(b, values, 1, op)
    total = shaped(b.op("ReduceSum", [values], {"keepdims": 0}), [])
    if sample_weight is not None:
        count = shaped(b.op("ReduceSum", [sample_weight], {"keepdims": 0}), [])
    elif dims(values):
        rows = b.op("Shape", [values], {"start": 0, "end": 1})
        count = b.op("Cast", [b.op("Squeeze", [rows])], {"to": ir.DataType.FLOAT})
    else:
        count = const(b, 1.0)
    return total, count


def mean_state(spec: dict[str, Any]) -> dict[str, tuple]:
    return {"total": (), "count": ()}


def mean_update(b, kind, spec, y_true, y_pred, sample_weight, state) -> dict[str, ir.Value]:
    """Adds a batch's ``(total, count)`` to the state."""
    values, mask = values_and_mask(b, kind, spec, y_true, y_pred)
    op = "ReduceSum" if kind == "sum" else "ReduceMean"
    total, count = accumulate(b, values, sample_weight, op, mask)
    new_total = shaped(b.op("Add", [state["total"], total]), [])
    return {"total": new_total, "count": shaped(b.op("Add", [state["count"], count]), [])}


def mean_result(b, kind, spec, state) -> ir.Value:
    if kind == "sum":
        return state["total"]
    mean = shaped(divide_no_nan(b, state["total"], state["count"]), [])
    return shaped(b.op("Sqrt", [mean]), []) if kind == "root_mean_squared_error" else mean
