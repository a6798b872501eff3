"""Metric builders: Keras mean metrics accumulated inside the step graph as state.

Every supported metric is a Keras ``MeanMetricWrapper``: an elementwise value (a match, an error)
is reduced to one value per sample, and the graph adds ``sum(values)`` to ``<name>/total`` and the
number of samples (or the sum of the sample weights) to ``<name>/count``. The result is
``total / count`` (0 while ``count`` is 0). The trainer owns the state tensors: it feeds them in,
reads the updated values back and zeroes them at the start of each epoch.

Note that Keras applies sample weights only to ``weighted_metrics``; the trainer decides which
metrics get ``sample_weight``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.losses import canonical_loss_name, per_sample_loss
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

_CANONICAL = (
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "binary_accuracy",
    "mean_absolute_error",
    "mean_squared_error",
    "exact_match_accuracy",
)
# snake_case names, lower-cased class names (``SparseCategoricalAccuracy``) and short aliases
_ALIASES = {
    **{n: n for n in _CANONICAL},
    **{n.replace("_", ""): n for n in _CANONICAL},
    "mae": "mean_absolute_error",
    "mse": "mean_squared_error",
}
ACCURACY_NAMES = ("accuracy", "acc")
# Keras' ``metrics.Accuracy`` object (not the ``"accuracy"`` string): ``y_true == y_pred``.
EXACT_MATCH = "exact_match_accuracy"
METRIC_DEFAULTS: dict[str, dict[str, Any]] = {"binary_accuracy": {"threshold": 0.5}}


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
    from the loss: sparse targets for ``sparse_categorical_crossentropy``, dense otherwise.

    Args:
        name: The metric identifier, e.g. ``"accuracy"``, ``"acc"``, ``"mae"``.
        loss_name: The loss identifier of the same output (may be None).
        output_shape: The model output's shape (None for unknown dims).
        y_true_shape: The targets' shape when known.
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
        sparse = loss_name is not None and (
            canonical_loss_name(loss_name) == "sparse_categorical_crossentropy"
        )
    return "sparse_categorical_accuracy" if sparse else "categorical_accuracy"


def metric_state_specs(spec: dict[str, Any]) -> dict[str, tuple[tuple[int, ...], str]]:
    """The state tensors of a metric: ``{"<name>/total": ((), "float32"), "<name>/count": ...}``.

    All start at zero. ``<name>`` is ``spec["display_name"]`` when given, else ``spec["name"]``.
    """
    name = _display(spec)
    return {f"{name}/total": ((), "float32"), f"{name}/count": ((), "float32")}


def _display(spec: dict[str, Any]) -> str:
    return spec.get("display_name") or spec["name"]


def _kind(spec: dict[str, Any], y_true: ir.Value, y_pred: ir.Value) -> str:
    kind = spec.get("kind")
    if kind is not None:
        return canonical_metric_name(kind)
    return resolve_metric_name(spec["name"], None, dims(y_pred), dims(y_true))


def _argmax_f(b: GraphBuilder, x: ir.Value) -> ir.Value:
    d = dims(x)
    arg = b.op("ArgMax", [x], {"axis": len(d) - 1, "keepdims": 0})
    return shaped(b.op("Cast", [arg], {"to": ir.DataType.FLOAT}), d[:-1])


def _matches(b: GraphBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    eq = b.op("Equal", [x, y])
    return shaped(b.op("Cast", [eq], {"to": ir.DataType.FLOAT}), broadcast_dims(dims(x), dims(y)))


def metric_values(b: GraphBuilder, kind: str, spec: dict[str, Any], y_true, y_pred) -> ir.Value:
    """The elementwise values a canonical metric averages (matches or errors)."""
    if kind in ("mean_absolute_error", "mean_squared_error"):
        return per_sample_loss(b, {"name": kind}, y_true, y_pred)[0]
    if kind == EXACT_MATCH:  # Keras' ``accuracy``: elementwise equality after the rank fix-up
        y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), to_float(b, y_pred))
        return _matches(b, y_true, y_pred)
    if kind == "binary_accuracy":
        y_true, y_pred = squeeze_or_expand(b, to_float(b, y_true), y_pred)
        threshold = spec.get("threshold", METRIC_DEFAULTS["binary_accuracy"]["threshold"])
        above = b.op("Greater", [to_float(b, y_pred), const(b, float(threshold))])
        return _matches(
            b, y_true, shaped(b.op("Cast", [above], {"to": ir.DataType.FLOAT}), dims(y_pred))
        )
    if kind == "categorical_accuracy":
        return _matches(b, _argmax_f(b, to_float(b, y_true)), _argmax_f(b, to_float(b, y_pred)))
    # sparse_categorical_accuracy: (batch, 1) targets are squeezed like Keras does
    y_true = to_float(b, y_true)
    if len(dims(y_true)) == len(dims(y_pred)) and is_one(dims(y_true)[-1]):
        y_true = squeeze_axis(b, y_true, -1)
    return _matches(b, y_true, _argmax_f(b, to_float(b, y_pred)))


def _mean_axes(b: GraphBuilder, x: ir.Value, start: int) -> ir.Value:
    rank = len(dims(x))
    return reduce(b, "ReduceMean", x, list(range(start, rank))) if rank > start else x


def accumulate(b: GraphBuilder, values: ir.Value, sample_weight: ir.Value | None):
    """Keras' ``Mean.update_state`` reduction: returns ``(sum of values, sample count)``."""
    if sample_weight is not None:
        values, weight = squeeze_or_expand(b, values, to_float(b, sample_weight))
        w_rank = len(dims(weight))
        values = _mean_axes(b, values, w_rank)
        weight = shaped(b.op("Expand", [weight, b.op("Shape", [values])]), dims(values))
        values = binary(b, "Mul", values, weight)
        sample_weight = _mean_axes(b, weight, 1)
    values = _mean_axes(b, values, 1)
    total = shaped(b.op("ReduceSum", [values], {"keepdims": 0}), [])
    if sample_weight is not None:
        count = shaped(b.op("ReduceSum", [sample_weight], {"keepdims": 0}), [])
    elif dims(values):
        rows = b.op("Shape", [values], {"start": 0, "end": 1})
        count = b.op("Cast", [b.op("Squeeze", [rows])], {"to": ir.DataType.FLOAT})
    else:
        count = const(b, 1.0)
    return total, count


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
            canonical name overriding ``name``) and ``"threshold"`` (binary accuracy).
        y_true: Targets.
        y_pred: Predictions.
        sample_weight: Optional weights (None for unweighted metrics).
        state: The current values of the keys of :func:`metric_state_specs`.

    Returns:
        The updated state (same keys) and ``total / count`` as a float32 scalar.
    """
    name = _display(spec)
    unknown = sorted(set(spec) - {"name", "display_name", "kind", "threshold", "dtype"})
    if unknown:
        raise ValueError(f"Unknown argument(s) {unknown} for metric '{name}'.")
    kind = _kind(spec, y_true, y_pred)
    total_key, count_key = f"{name}/total", f"{name}/count"
    with b.scope(f"metric/{name}"):
        values = metric_values(b, kind, spec, y_true, y_pred)
        total, count = accumulate(b, values, sample_weight)
        new_total = shaped(b.op("Add", [state[total_key], total]), [])
        new_count = shaped(b.op("Add", [state[count_key], count]), [])
        result = shaped(divide_no_nan(b, new_total, new_count), [])
    return {total_key: new_total, count_key: new_count}, result


__all__ = [
    "ACCURACY_NAMES",
    "EXACT_MATCH",
    "METRIC_DEFAULTS",
    "accumulate",
    "build_metric",
    "canonical_metric_name",
    "metric_state_specs",
    "metric_values",
    "resolve_metric_name",
]
