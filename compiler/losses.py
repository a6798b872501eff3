"""Loss builders: a Keras loss spec (a plain dict) in, ONNX nodes computing the loss out.

``build_loss`` follows Keras 3: a per-sample loss (class or last axis reduced), optionally weighted,
then reduced (``sum_over_batch_size`` divides the weighted sum by the number of loss elements).
Crossentropy stays finite on saturated outputs: when ``from_logits=False`` but ``y_pred`` comes
straight from a ``Softmax`` over the loss axis (``Sigmoid`` for binary), the loss is computed from
that node's input (``LogSoftmax``; the logits formula), so its gradient is ``p - onehot``.
Otherwise probabilities follow Keras: clipped to ``[1e-7, 1 - 1e-7]`` (categorical ones first
renormalised by their sum). Sparse labels (int or float, ``(batch,)`` or ``(batch, 1)``) become
one-hot rows through ``OneHot``, so only ``Mul``/``ReduceSum`` touch the log-probabilities.
Graph helpers live in :mod:`compiler.optim._graph` (shared with metrics and optimizers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import (
    axis_size,
    binary,
    broadcast_dims,
    const,
    dims,
    divide_no_nan,
    element_count,
    is_one,
    logits_of,
    reduce,
    shaped,
    squeeze_axis,
    squeeze_or_expand,
    to_float,
    unsqueeze_last,
)

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

_CANONICAL = (
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
)
# snake_case names, lower-cased class names (``SparseCategoricalCrossentropy``) and short aliases
_ALIASES = {
    **{n: n for n in _CANONICAL},
    **{n.replace("_", ""): n for n in _CANONICAL},
    "bce": "binary_crossentropy",
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "huber_loss": "huber",
}
_CE = {"from_logits": False, "label_smoothing": 0.0, "axis": -1}
# Hyper-parameters (Keras defaults) per canonical loss. Sparse label smoothing is a kgraph extra.
LOSS_DEFAULTS: dict[str, dict[str, Any]] = {
    "sparse_categorical_crossentropy": {**_CE, "ignore_class": None},
    "categorical_crossentropy": dict(_CE),
    "binary_crossentropy": dict(_CE),
    "mean_squared_error": {},
    "mean_absolute_error": {},
    "huber": {"delta": 1.0},
}
_BENIGN_KEYS = {"name", "reduction", "dtype"}


# -- per-sample losses --------------------------------------------------------------------
def _log_probs(b: GraphBuilder, y_pred: ir.Value, axis: int, from_logits: bool) -> ir.Value:
    logits = y_pred if from_logits else logits_of(b, y_pred, "Softmax", axis)
    if logits is not None:
        return shaped(b.op("LogSoftmax", [to_float(b, logits)], {"axis": axis}), dims(y_pred))
    p = to_float(b, y_pred)
    p = binary(b, "Div", p, reduce(b, "ReduceSum", p, [axis], keepdims=True))
    p = b.op("Clip", [p, const(b, EPSILON), const(b, 1.0 - EPSILON)])
    return shaped(b.op("Log", [p]), dims(y_pred))


def _crossentropy(b, y_true, y_pred, axis, from_logits, smoothing) -> ir.Value:
    if smoothing:
        classes = b.op("Cast", [axis_size(b, y_true, axis)], {"to": ir.DataType.FLOAT})
        scaled = b.op("Mul", [y_true, const(b, 1.0 - smoothing)])
        smooth = b.op("Div", [const(b, smoothing), classes])
        y_true = shaped(b.op("Add", [scaled, smooth]), dims(y_true))
    prod = binary(b, "Mul", y_true, _log_probs(b, y_pred, axis, from_logits))
    summed = reduce(b, "ReduceSum", prod, [axis])
    return shaped(b.op("Neg", [summed]), dims(summed))


def _sparse_ce(b, y_true, y_pred, cfg) -> tuple[ir.Value, ir.Value | None]:
    axis = cfg["axis"]
    if len(dims(y_true)) == len(dims(y_pred)) and is_one(dims(y_true)[axis]):
        y_true = squeeze_axis(b, y_true, axis)
    labels = y_true
    if y_true.dtype != ir.DataType.INT64:
        labels = shaped(b.op("Cast", [y_true], {"to": ir.DataType.INT64}), dims(y_true), np.int64)
    valid = None
    if cfg["ignore_class"] is not None:
        ignored = b.constant(np.asarray(int(cfg["ignore_class"]), np.int64))
        valid = shaped(b.op("Not", [b.op("Equal", [labels, ignored])]), dims(labels), np.bool_)
        zero = b.constant(np.asarray(0, np.int64))
        labels = shaped(b.op("Where", [valid, labels, zero]), dims(labels), np.int64)
    depth = axis_size(b, y_pred, axis)
    onehot = b.op("OneHot", [labels, depth, const(b, [0.0, 1.0])], {"axis": axis})
    onehot = shaped(onehot, dims(y_pred))
    loss = _crossentropy(b, onehot, y_pred, axis, cfg["from_logits"], cfg["label_smoothing"])
    if valid is not None:
        loss = shaped(b.op("Where", [valid, loss, const(b, 0.0)]), dims(loss))
    return loss, valid


def _binary_ce(b, y_true, y_pred, cfg) -> ir.Value:
    z = to_float(b, y_true)
    if cfg["label_smoothing"]:
        s = cfg["label_smoothing"]
        z = shaped(b.op("Add", [b.op("Mul", [z, const(b, 1.0 - s)]), const(b, 0.5 * s)]), dims(z))
    logits = y_pred if cfg["from_logits"] else logits_of(b, y_pred, "Sigmoid")
    if logits is not None:  # max(x, 0) - x * z + log(1 + exp(-|x|)), branches picked by x >= 0
        x = to_float(b, logits)  # (Where, not Relu/Abs: the gradient at x = 0 is 0.5 - z)
        pos = b.op("GreaterOrEqual", [x, const(b, 0.0)])
        relu = b.op("Where", [pos, x, const(b, 0.0)])
        exp = b.op("Exp", [b.op("Where", [pos, b.op("Neg", [x]), x])])
        soft = b.op("Log", [b.op("Add", [const(b, 1.0), exp])])
        elem = b.op("Add", [b.op("Sub", [relu, b.op("Mul", [x, z])]), soft])
    else:  # -(z * log(p) + (1 - z) * log(1 - p)), p clipped to [eps, 1 - eps]
        p = b.op("Clip", [to_float(b, y_pred), const(b, EPSILON), const(b, 1.0 - EPSILON)])
        pos = b.op("Mul", [z, b.op("Log", [p])])
        one = const(b, 1.0)
        neg = b.op("Mul", [b.op("Sub", [one, z]), b.op("Log", [b.op("Sub", [one, p])])])
        elem = b.op("Neg", [b.op("Add", [pos, neg])])
    elem = shaped(elem, broadcast_dims(dims(z), dims(y_pred)))
    return reduce(b, "ReduceMean", elem, [cfg["axis"]])


def _regression(b, name, y_true, y_pred, cfg) -> ir.Value:
    y_true, y_pred = to_float(b, y_true), to_float(b, y_pred)
    if name == "huber":
        err = binary(b, "Sub", y_pred, y_true)
        abs_err = b.op("Abs", [err])
        delta = float(cfg["delta"])
        quad = b.op("Mul", [const(b, 0.5), b.op("Mul", [err, err])])
        lin = b.op("Sub", [b.op("Mul", [const(b, delta), abs_err]), const(b, 0.5 * delta * delta)])
        elem = b.op("Where", [b.op("LessOrEqual", [abs_err, const(b, delta)]), quad, lin])
    else:
        diff = binary(b, "Sub", y_true, y_pred)
        elem = b.op("Mul", [diff, diff]) if name == "mean_squared_error" else b.op("Abs", [diff])
    elem = shaped(elem, broadcast_dims(dims(y_true), dims(y_pred)))
    return reduce(b, "ReduceMean", elem, [-1])


# -- public API ---------------------------------------------------------------------------
def canonical_loss_name(name: str) -> str:
    """The canonical Keras function name of a loss identifier (``"mse"`` -> mean_squared_error).

    Raises:
        ValueError: for a loss kgraph does not build.
    """
    key = str(name).lower()
    if key not in _ALIASES:
        raise ValueError(
            f"Unsupported loss. Expected one of {sorted(set(_ALIASES.values()))} "
            f"(or an alias). Received: name={name!r}"
        )
    return _ALIASES[key]


def resolve_loss_name(name: str, y_true_shape: Sequence[Any], y_pred_shape: Sequence[Any]) -> str:
    """Resolves ``"crossentropy"``/``"ce"`` to binary, sparse or categorical as Keras' compile does.

    Other names go through :func:`canonical_loss_name`.
    """
    if str(name).lower() not in ("crossentropy", "ce"):
        return canonical_loss_name(name)
    if is_one(list(y_pred_shape)[-1]):
        return "binary_crossentropy"
    if len(y_true_shape) < len(y_pred_shape) or (
        is_one(list(y_true_shape)[-1]) and not is_one(list(y_pred_shape)[-1])
    ):
        return "sparse_categorical_crossentropy"
    return "categorical_crossentropy"


def loss_config(spec: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
    """Validates ``spec`` and returns ``(canonical name, hyper-parameters, reduction)``."""
    name = canonical_loss_name(spec["name"])
    defaults = LOSS_DEFAULTS[name]
    unknown = sorted(set(spec) - set(defaults) - _BENIGN_KEYS)
    if unknown:
        raise ValueError(f"Unknown argument(s) {unknown} for loss '{name}'. Received: spec={spec}")
    reduction = spec.get("reduction", "sum_over_batch_size")
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
            f"Received: reduction={reduction!r}"
        )
    cfg = {k: v if spec.get(k) is None else spec[k] for k, v in defaults.items()}
    if isinstance(cfg.get("axis"), bool) or not isinstance(cfg.get("axis", -1), int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={cfg.get('axis')!r}")
    if not 0.0 <= float(cfg.get("label_smoothing", 0.0)) <= 1.0:
        raise ValueError(f"`label_smoothing` must be in [0, 1]. Received: spec={spec}")
    return name, cfg, reduction


def per_sample_loss(b: GraphBuilder, spec: dict[str, Any], y_true: ir.Value, y_pred: ir.Value):
    """The unreduced loss (the loss axis reduced away) and, with ``ignore_class``, its mask.

    Returns:
        ``(values, mask)``; ``mask`` is a bool value of the values' shape, or None.
    """
    name, cfg, _ = loss_config(spec)
    y_true, y_pred = squeeze_or_expand(b, y_true, y_pred)
    if name == "sparse_categorical_crossentropy":
        return _sparse_ce(b, y_true, y_pred, cfg)
    if name == "categorical_crossentropy":
        y_true = to_float(b, y_true)
        return _crossentropy(
            b, y_true, y_pred, cfg["axis"], cfg["from_logits"], cfg["label_smoothing"]
        ), None
    if name == "binary_crossentropy":
        return _binary_ce(b, y_true, y_pred, cfg), None
    return _regression(b, name, y_true, y_pred, cfg), None


def reduce_weighted(
    b: GraphBuilder,
    values: ir.Value,
    sample_weight: ir.Value | None,
    reduction: Any,
    mask: ir.Value | None = None,
) -> ir.Value:
    """Weights and reduces per-sample ``values`` as Keras' ``reduce_weighted_values`` does.

    A weight of lower rank than the values (after Keras' one-axis squeeze/expand) is broadcast
    over the values' trailing axes.
    """
    if mask is not None:  # masked elements get weight 0; means renormalise over valid ones
        float_mask = to_float(b, mask)
        if reduction in ("mean", "sum_over_batch_size"):
            ratio = divide_no_nan(b, element_count(b, mask), reduce(b, "ReduceSum", float_mask))
            float_mask = binary(b, "Mul", float_mask, ratio)
        if sample_weight is None:
            sample_weight = float_mask
        else:
            float_mask, weight = squeeze_or_expand(b, float_mask, to_float(b, sample_weight))
            extra = len(dims(float_mask)) - len(dims(weight))  # (B,) weights on a (B, T) mask
            weight = unsqueeze_last(b, weight, extra) if extra > 0 else weight
            sample_weight = binary(b, "Mul", weight, float_mask)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand(b, values, to_float(b, sample_weight))
        extra = len(dims(values)) - len(dims(sample_weight))
        weight = unsqueeze_last(b, sample_weight, extra) if extra > 0 else sample_weight
        values = binary(b, "Mul", values, weight)
    if reduction in (None, "none") or not dims(values):
        return values
    total = shaped(b.op("ReduceSum", [values], {"keepdims": 0}), [])
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return shaped(divide_no_nan(b, total, reduce(b, "ReduceSum", sample_weight)), [])
    count = b.op("Max", [element_count(b, values), const(b, 1.0)])  # 0 elements -> 0 / 1
    return shaped(b.op("Div", [total, count]), [])


def build_loss(
    b: GraphBuilder,
    spec: dict[str, Any],
    y_true: ir.Value,
    y_pred: ir.Value,
    sample_weight: ir.Value | None = None,
) -> ir.Value:
    """Emits the nodes of a Keras loss and returns its value.

    Args:
        b: The builder to emit into.
        spec: ``{"name": ..., **hyper_parameters, "reduction": ...}`` with Keras names and
            defaults, e.g. ``{"name": "sparse_categorical_crossentropy", "from_logits": True}``.
        y_true: Targets (ranks must be known).
        y_pred: Predictions (ranks must be known).
        sample_weight: Optional per-sample (or per-element) weights.

    Returns:
        A float32 scalar, or the weighted per-sample values for reduction ``"none"``.
    """
    _, _, reduction = loss_config(spec)
    with b.scope("loss"):
        values, mask = per_sample_loss(b, spec, y_true, y_pred)
        return reduce_weighted(b, values, sample_weight, reduction, mask)


__all__ = [
    "EPSILON",
    "LOSS_DEFAULTS",
    "REDUCTIONS",
    "build_loss",
    "canonical_loss_name",
    "loss_config",
    "per_sample_loss",
    "reduce_weighted",
    "resolve_loss_name",
]
