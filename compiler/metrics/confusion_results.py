"""Results of the confusion-matrix metrics from their per-threshold counts: rates, the best
rate under a constraint ("X at Y"), and the area under the ROC / PR / PR-gain curve (Riemann
sums, or Davis & Goadrich's interpolation for PR) as Keras 3 defines them."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.metrics.confusion import AT, COUNTS, thresholds_of
from kgraph.compiler.optim._graph import binary, const, dims, divide_no_nan, reduce, shaped


def _rate(b: GraphBuilder, num: ir.Value, other: ir.Value) -> ir.Value:
    """``num / (num + other)``, 0 where both are 0."""
    return shaped(divide_no_nan(b, num, binary(b, "Add", num, other)), dims(num))


def _first_if_single(b: GraphBuilder, x: ir.Value, n: int) -> ir.Value:
    if n != 1:
        return x
    return shaped(
        b.op("Gather", [x, b.constant(np.asarray(0, np.int64))], {"axis": 0}), dims(x)[1:]
    )


def _rates(b: GraphBuilder, s: dict[str, ir.Value]) -> dict[str, ir.Value]:
    tp, fp, tn, fn = (s[c] for c in COUNTS)
    return {
        "recall": _rate(b, tp, fn),
        "specificity": _rate(b, tn, fp),
        "precision": _rate(b, tp, fp),
    }


def _at(b, kind, cfg, s) -> ir.Value:
    param, constrained, maximised = AT[kind]
    rates = _rates(b, s)
    feasible = b.op("GreaterOrEqual", [rates[constrained], const(b, float(cfg[param]))])
    candidates = b.op("Where", [feasible, rates[maximised], const(b, 0.0)])
    best = reduce(b, "ReduceMax", shaped(candidates, dims(rates[maximised])), [0])
    return shaped(b.op("Max", [best, const(b, 0.0)]), [])


def _pair(b: GraphBuilder, x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """``(x[:-1], x[1:])`` along the thresholds axis."""
    n, rest = dims(x)[0], dims(x)[1:]

    def cut(start, end):
        ends = [b.constant(np.asarray([v], np.int64)) for v in (start, end, 0)]
        return shaped(b.op("Slice", [x, *ends]), [n - 1, *rest])

    return cut(0, n - 1), cut(1, n)


def _interpolated_pr(b, s) -> ir.Value:
    tp, fp, fn = s["true_positives"], s["false_positives"], s["false_negatives"]
    tp_a, tp_b = _pair(b, tp)
    p_a, p_b = _pair(b, binary(b, "Add", tp, fp))
    zero = const(b, 0.0)
    dtp = binary(b, "Sub", tp_a, tp_b)
    slope = shaped(
        divide_no_nan(b, dtp, b.op("Max", [binary(b, "Sub", p_a, p_b), zero])), dims(dtp)
    )
    intercept = binary(b, "Sub", tp_b, binary(b, "Mul", slope, p_b))
    both = b.op("And", [b.op("Greater", [p_a, zero]), b.op("Greater", [p_b, zero])])
    ratio = divide_no_nan(b, p_a, b.op("Max", [p_b, zero]))
    safe = shaped(b.op("Where", [both, ratio, const(b, 1.0)]), dims(p_a))
    gain = binary(
        b, "Add", dtp, binary(b, "Mul", intercept, shaped(b.op("Log", [safe]), dims(safe)))
    )
    _, fn_b = _pair(b, fn)
    positives = b.op("Max", [binary(b, "Add", tp_b, fn_b), zero])
    return shaped(divide_no_nan(b, binary(b, "Mul", slope, gain), positives), dims(dtp))


def _curve(b, cfg, s) -> tuple[ir.Value, ir.Value]:
    """The curve's ``(x, y)`` per threshold."""
    tp, fp, tn, fn = (s[c] for c in COUNTS)
    curve = str(cfg["curve"]).upper()
    rates = _rates(b, s)
    if curve == "ROC":
        return _rate(b, fp, tn), rates["recall"]
    if curve == "PR":
        return rates["recall"], rates["precision"]
    scale = shaped(divide_no_nan(b, binary(b, "Add", tp, fn), binary(b, "Add", tn, fp)), dims(tp))
    no_tp = b.op("Equal", [tp, const(b, 0.0)])

    def gain(x):
        ratio = shaped(divide_no_nan(b, x, tp), dims(tp))
        return shaped(b.op("Sub", [const(b, 1.0), binary(b, "Mul", scale, ratio)]), dims(tp))

    recall_gain = b.op("Max", [b.op("Where", [no_tp, const(b, 0.0), gain(fn)]), const(b, 0.0)])
    precision_gain = b.op("Where", [no_tp, const(b, 1.0), gain(fp)])
    return shaped(recall_gain, dims(tp)), shaped(precision_gain, dims(tp))


def _auc(b, cfg, s) -> ir.Value:
    method = str(cfg["summation_method"]).lower()
    if str(cfg["curve"]).upper() == "PR" and method == "interpolation":
        terms = _interpolated_pr(b, s)
    else:
        x, y = _curve(b, cfg, s)
        (x_a, x_b), (y_a, y_b) = _pair(b, x), _pair(b, y)
        if method == "interpolation":
            heights = shaped(b.op("Div", [binary(b, "Add", y_a, y_b), const(b, 2.0)]), dims(y_a))
        else:
            heights = binary(b, "Min" if method == "minoring" else "Max", y_a, y_b)
        terms = binary(b, "Mul", binary(b, "Sub", x_a, x_b), heights)
    if not cfg["multi_label"]:
        return reduce(b, "ReduceSum", terms)
    by_label = reduce(b, "ReduceSum", terms, [0])
    if cfg["label_weights"] is None:
        return reduce(b, "ReduceMean", by_label)
    weights = b.constant(np.asarray(cfg["label_weights"], np.float32))
    weighted = reduce(
        b, "ReduceSum", binary(b, "Mul", by_label, shaped(weights, [len(cfg["label_weights"])]))
    )
    return shaped(divide_no_nan(b, weighted, const(b, float(np.sum(cfg["label_weights"])))), [])


def confusion_result(b: GraphBuilder, kind: str, cfg: dict[str, Any], s: dict[str, ir.Value]):
    """The metric's value from its state ``s``."""
    n = len(thresholds_of(kind, cfg)[0])
    if kind in COUNTS:
        return _first_if_single(b, s["accumulator"], n)
    if kind == "precision":
        return _first_if_single(b, _rate(b, s["true_positives"], s["false_positives"]), n)
    if kind == "recall":
        return _first_if_single(b, _rate(b, s["true_positives"], s["false_negatives"]), n)
    if kind in AT:
        return _at(b, kind, cfg, s)
    return _auc(b, cfg, s)
