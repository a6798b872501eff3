"""Loss builders: a Keras loss spec (a plain dict) in, ONNX nodes computing the loss out.

``build_loss`` follows Keras 3: a per-sample loss (class or last axis reduced), optionally weighted,
then reduced (``sum_over_batch_size`` divides the weighted sum by the number of loss elements).
The per-sample formulas live in one module per family (:mod:`.crossentropy`, :mod:`.regression`,
:mod:`.segmentation`); this module names them (``LOSS_DEFAULTS``: every Keras 3 loss with its
hyper-parameters and defaults), validates specs and applies weights and reductions. Graph helpers
live in :mod:`compiler.optim._graph` (shared with metrics and optimizers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.losses import crossentropy as ce
from kgraph.compiler.losses import regression as rg
from kgraph.compiler.losses import segmentation as seg
from kgraph.compiler.losses import sequence
from kgraph.compiler.losses import similarity as sim
from kgraph.compiler.optim._graph import (
    binary,
    const,
    dims,
    divide_no_nan,
    element_count,
    is_one,
    reduce,
    shaped,
    squeeze_or_expand,
    to_float,
    unsqueeze_last,
)

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

_CE = {"from_logits": False, "label_smoothing": 0.0, "axis": -1}
_FOCAL = {"alpha": 0.25, "gamma": 2.0, **_CE}
# Hyper-parameters (Keras defaults) per canonical loss. Sparse label smoothing is a kgraph extra.
LOSS_DEFAULTS: dict[str, dict[str, Any]] = {
    "sparse_categorical_crossentropy": {**_CE, "ignore_class": None},
    "categorical_crossentropy": dict(_CE),
    "binary_crossentropy": dict(_CE),
    "binary_focal_crossentropy": {"apply_class_balancing": False, **_FOCAL},
    "categorical_focal_crossentropy": dict(_FOCAL),
    "categorical_generalized_cross_entropy": {"q": 0.5},
    "mean_squared_error": {},
    "mean_absolute_error": {},
    "mean_absolute_percentage_error": {},
    "mean_squared_logarithmic_error": {},
    "huber": {"delta": 1.0},
    "log_cosh": {},
    "cosine_similarity": {"axis": -1},
    "poisson": {},
    "kl_divergence": {},
    "hinge": {},
    "squared_hinge": {},
    "categorical_hinge": {},
    "dice": {"axis": None},
    "tversky": {"alpha": 0.5, "beta": 0.5, "axis": None},
    "circle": {"gamma": 80.0, "margin": 0.4, "remove_diagonal": True},
    "ctc": {},
}
# Losses computed from (float) targets and predictions; the crossentropies cast what they need.
_FLOAT_BUILDERS = {
    "binary_crossentropy": ce.binary_crossentropy,
    "binary_focal_crossentropy": ce.binary_focal_crossentropy,
    "categorical_focal_crossentropy": ce.categorical_focal_crossentropy,
    "mean_squared_error": rg.mean_squared_error,
    "mean_absolute_error": rg.mean_absolute_error,
    "mean_absolute_percentage_error": rg.mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": rg.mean_squared_logarithmic_error,
    "huber": rg.huber,
    "log_cosh": rg.log_cosh,
    "cosine_similarity": rg.cosine_similarity,
    "poisson": rg.poisson,
    "kl_divergence": rg.kl_divergence,
    "hinge": rg.hinge,
    "squared_hinge": rg.squared_hinge,
    "categorical_hinge": rg.categorical_hinge,
    "dice": seg.dice,
    "tversky": seg.tversky,
}
_CANONICAL = tuple(LOSS_DEFAULTS)
# snake_case names, lower-cased class names (``SparseCategoricalCrossentropy``) and short aliases
_ALIASES = {
    **{n: n for n in _CANONICAL},
    **{n.replace("_", ""): n for n in _CANONICAL},
    "bce": "binary_crossentropy",
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "huber_loss": "huber",
    "logcosh": "log_cosh",
}
_BENIGN_KEYS = {"name", "reduction", "dtype"}


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


def label_signature(spec: dict[str, Any] | None, pred_shape: Sequence[Any]) -> tuple[list, str]:
    """The ``(shape, dtype)`` of the label input a loss reads, given its output's shape: integer
    class ids for the sparse crossentropy and generalized crossentropy (the class axis
    dropped), Circle (one per sample) and CTC (``(batch, label length)``), else the output's
    shape in float32."""
    name = None
    if spec is not None:
        try:
            name = canonical_loss_name(spec["name"])
        except ValueError:  # a loss the front end traced
            name = None
    pred_shape = list(pred_shape)
    if name in ("sparse_categorical_crossentropy", "categorical_generalized_cross_entropy"):
        return [None, *pred_shape[1:-1]], "int64"
    if name == "circle":
        return [None], "int64"
    if name == "ctc":
        return [None, None], "int64"
    return [None, *pred_shape[1:]], "float32"


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
    axis = cfg.get("axis", -1)
    if defaults.get("axis") is not None and (isinstance(axis, bool) or not isinstance(axis, int)):
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
        return ce.sparse_crossentropy(b, y_true, y_pred, cfg)
    if name == "ctc":
        return sequence.ctc(b, y_true, y_pred, cfg), None
    if name == "circle":
        return sim.circle(b, y_true, y_pred, cfg)
    if name == "categorical_generalized_cross_entropy":
        return ce.categorical_generalized_cross_entropy(b, y_true, y_pred, cfg), None
    if name == "categorical_crossentropy":
        y_true = to_float(b, y_true)
        return ce.crossentropy(
            b, y_true, y_pred, cfg["axis"], cfg["from_logits"], cfg["label_smoothing"]
        ), None
    if name in ("binary_crossentropy", "binary_focal_crossentropy"):
        return _FLOAT_BUILDERS[name](b, y_true, y_pred, cfg), None
    return _FLOAT_BUILDERS[name](b, to_float(b, y_true), to_float(b, y_pred), cfg), None


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
