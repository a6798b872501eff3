"""Metric builders: Keras metrics accumulated inside the step and eval graphs as state.

A metric spec is a plain dict: ``{"name": ..., "display_name": ..., **hyper-parameters}``. Each
canonical metric belongs to a family that declares its state tensors (all starting at zero),
emits a batch's update of them and computes the result from them:

- mean metrics (:mod:`.mean`): ``total`` and ``count``, as Keras' ``MeanMetricWrapper``;
- confusion-matrix metrics (:mod:`.confusion`, :mod:`.confusion_results`): counts per threshold;
- score metrics (:mod:`.scores`): F-scores, the IoU family and R2, with per-class state.

The trainer owns the state tensors (named ``<display_name>/<state>``): it feeds them in, reads
the updated values back and zeroes them at the start of each epoch. Keras applies sample weights
only to ``weighted_metrics``; the trainer decides which metrics get ``sample_weight``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.losses import canonical_loss_name
from kgraph.compiler.metrics import confusion, mean, scores
from kgraph.compiler.metrics.confusion_results import confusion_result
from kgraph.compiler.optim._graph import dims, is_one, shaped

EXACT_MATCH = mean.EXACT_MATCH
ACCURACY_NAMES = ("accuracy", "acc")
METRIC_DEFAULTS: dict[str, dict[str, Any]] = {
    **mean.VALUE_DEFAULTS,
    **confusion.CONFUSION_DEFAULTS,
    **scores.SCORE_DEFAULTS,
}
_CANONICAL = tuple(METRIC_DEFAULTS)
# snake_case names, lower-cased class names (``SparseCategoricalAccuracy``) and short aliases
_ALIASES = {
    **{n: n for n in _CANONICAL},
    **{n.replace("_", ""): n for n in _CANONICAL},
    "mae": "mean_absolute_error",
    "mse": "mean_squared_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence",
    "kullback_leibler_divergence": "kl_divergence",
    "bce": "binary_crossentropy",
    "logcosh": "log_cosh",
    "logcosherror": "log_cosh",
    "log_cosh_error": "log_cosh",
    "f1score": "fbeta_score",
    "f1_score": "fbeta_score",
    "meaniou": "iou",
    "mean_iou": "iou",
    "binaryiou": "binary_iou",
}
_BENIGN_KEYS = {"name", "display_name", "kind", "dtype"}


def canonical_metric_name(name: str) -> str:
    """The canonical Keras name of a metric identifier (``"mae"`` -> ``mean_absolute_error``).

    Raises:
        ValueError: for ``"accuracy"`` (which needs :func:`resolve_metric_name`) or a metric
            kgraph does not build.
    """
    key = str(name).lower()
    if key not in _ALIASES:
        hint = " Resolve it with resolve_metric_name()." if key in ACCURACY_NAMES else ""
        raise ValueError(
            f"Unsupported metric. Expected one of {sorted(_CANONICAL)} (or an alias).{hint} "
            f"Received: name={name!r}"
        )
    return _ALIASES[key]


def resolve_metric_name(
    name: str,
    loss_name: str | None,
    output_shape: Sequence[Any],
    y_true_shape: Sequence[Any] | None = None,
) -> str:
    """Resolves a metric identifier to its canonical name, ``"accuracy"`` as Keras' compile does.

    Keras picks ``binary_accuracy`` when the output's last dim is 1, else
    ``sparse_categorical_accuracy`` when the targets have a lower rank than the output (or a last
    dim of 1), else ``categorical_accuracy``. Without ``y_true_shape`` the target rank is taken
    from the loss: sparse targets for the sparse and generalized crossentropies, else dense.
    """
    if str(name).lower() not in ACCURACY_NAMES:
        return canonical_metric_name(name)
    output_shape = list(output_shape)
    if is_one(output_shape[-1]):
        return "binary_accuracy"
    if y_true_shape is not None:
        y_true_shape = list(y_true_shape)
        sparse = len(y_true_shape) < len(output_shape) or is_one(y_true_shape[-1])
    else:
        sparse = _integer_labels(loss_name)
    return "sparse_categorical_accuracy" if sparse else "categorical_accuracy"


def _integer_labels(loss_name: str | None) -> bool:
    """Whether a loss reads integer class ids (a traced user loss reads the output's shape)."""
    try:
        name = canonical_loss_name(loss_name) if loss_name is not None else None
    except ValueError:
        return False
    return name in ("sparse_categorical_crossentropy", "categorical_generalized_cross_entropy")


def _kind(spec: dict[str, Any], y_true=None, y_pred=None) -> str:
    kind = spec.get("kind")
    if kind is not None:
        return canonical_metric_name(kind)
    if str(spec["name"]).lower() in ACCURACY_NAMES and y_pred is not None:
        return resolve_metric_name(spec["name"], None, dims(y_pred), dims(y_true))
    return canonical_metric_name(spec["name"])


def metric_config(spec: dict[str, Any], y_true=None, y_pred=None) -> tuple[str, dict[str, Any]]:
    """Validates ``spec``: ``(canonical kind, hyper-parameters with Keras defaults)``."""
    kind = _kind(spec, y_true, y_pred)
    defaults = METRIC_DEFAULTS[kind]
    unknown = sorted(set(spec) - set(defaults) - _BENIGN_KEYS)
    if unknown:
        raise ValueError(f"Unknown argument(s) {unknown} for metric '{_display(spec)}'.")
    cfg = {k: spec.get(k, v) for k, v in defaults.items()}
    cfg["dtype"] = spec.get("dtype")
    return kind, cfg


def complete_spec(spec: dict[str, Any], y_pred_shape: Sequence[Any]) -> dict[str, Any]:
    """``spec`` with the sizes its state needs taken from the predictions' shape (F-scores and
    R2 count classes on the last axis; multi-label AUC counts labels)."""
    kind = _kind(spec) if str(spec["name"]).lower() not in ACCURACY_NAMES else None
    last = list(y_pred_shape)[-1] if len(y_pred_shape) else 1
    if kind in scores.SHAPED_BY_OUTPUT and spec.get("num_classes") is None:
        return {**spec, "num_classes": last}
    if kind == "auc" and spec.get("multi_label") and not spec.get("num_labels"):
        return {**spec, "num_labels": last}
    return spec


def _display(spec: dict[str, Any]) -> str:
    return spec.get("display_name") or spec["name"]


def _local_state(kind: str, cfg: dict[str, Any]) -> dict[str, tuple]:
    if kind in mean.VALUE_DEFAULTS:
        return mean.mean_state(cfg)
    if kind in confusion.CONFUSION_DEFAULTS:
        return confusion.state_shapes(kind, cfg)
    return scores.score_state(kind, cfg)


def metric_state_specs(spec: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    """The state tensors of a metric: ``{"<name>/total": ((), "float32"), ...}``, all zero at
    the start. ``<name>`` is ``spec["display_name"]`` when given, else ``spec["name"]``.

    ``"accuracy"`` (resolved only at build time) is a mean metric.
    """
    name = _display(spec)
    if str(spec["name"]).lower() in ACCURACY_NAMES and "kind" not in spec:
        local = mean.mean_state(spec)
    else:
        local = _local_state(*metric_config(spec))
    return {f"{name}/{key}": (tuple(shape), "float32") for key, shape in local.items()}


def metric_update(b: GraphBuilder, spec, y_true, y_pred, sample_weight, state) -> dict:
    """Emits one batch's update: the new values of ``state`` (same keys)."""
    kind, cfg = metric_config(spec, y_true, y_pred)
    name = _display(spec)
    local = {k.split("/")[-1]: v for k, v in state.items()}
    if kind in mean.VALUE_DEFAULTS:
        new = mean.mean_update(b, kind, {**spec, **cfg}, y_true, y_pred, sample_weight, local)
    elif kind in confusion.CONFUSION_DEFAULTS:
        new = confusion.confusion_update(b, kind, cfg, y_true, y_pred, sample_weight, local)
    else:
        new = scores.score_update(b, kind, cfg, y_true, y_pred, sample_weight, local)
    return {f"{name}/{k}": v for k, v in new.items()}


def metric_result(b: GraphBuilder, spec, state, y_true=None, y_pred=None) -> ir.Value:
    """Emits the metric's value computed from ``state``."""
    kind, cfg = metric_config(spec, y_true, y_pred)
    local = {k.split("/")[-1]: v for k, v in state.items()}
    if kind in mean.VALUE_DEFAULTS:
        return mean.mean_result(b, kind, cfg, local)
    if kind in confusion.CONFUSION_DEFAULTS:
        return confusion_result(b, kind, cfg, local)
    return scores.score_result(b, kind, cfg, local)


def build_metric(
    b: GraphBuilder,
    spec: dict[str, Any],
    y_true: ir.Value,
    y_pred: ir.Value,
    sample_weight: ir.Value | None,
    state: dict[str, ir.Value],
) -> tuple[dict[str, ir.Value], ir.Value]:
    """Emits one metric's update and returns ``(new state, current result)``.

    Args:
        b: The builder to emit into.
        spec: ``{"name": ...}``: a canonical name or alias, or ``"accuracy"``/``"acc"``
            (resolved from the shapes of ``y_true`` and ``y_pred`` exactly as Keras does);
            optional ``"display_name"`` (names the state; default ``name``), ``"kind"`` (a
            canonical name overriding ``name``) and the metric's Keras hyper-parameters.
        y_true: Targets.
        y_pred: Predictions.
        sample_weight: Optional weights (None for unweighted metrics).
        state: The current values of the keys of :func:`metric_state_specs`.

    Returns:
        The updated state (same keys) and the result (a float32 scalar for most metrics; a
        vector for several thresholds or per-class scores).
    """
    with b.scope(f"metric/{_display(spec)}"):
        new_state = metric_update(b, spec, y_true, y_pred, sample_weight, state)
        result = metric_result(b, spec, new_state, y_true, y_pred)
        if result.shape is None:
            shaped(result, [])
    return new_state, result
