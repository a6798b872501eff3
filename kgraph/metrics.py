"""Metrics with Keras names. Each is a config the compiler turns into in-graph accumulators.

Metric objects also work on their own as Keras metrics (``update_state``, ``result``,
``reset_state``; calling one updates it and returns the result), and the metric functions
(``binary_accuracy``, ``top_k_categorical_accuracy``, the loss functions Keras also lists as
metrics...) return one value per sample. Both run the compiler's metric graphs in onnxruntime
(:mod:`kgraph.losses_eager`). The classes live in :mod:`kgraph.metric_base`,
:mod:`kgraph.metrics_wrappers`, :mod:`kgraph.metrics_confusion` and :mod:`kgraph.metrics_scores`.
"""

from __future__ import annotations

from kgraph import metrics_confusion as _confusion
from kgraph import metrics_scores as _scores
from kgraph import metrics_wrappers as _wrappers
from kgraph.compiler.metrics import ACCURACY_NAMES, complete_spec, resolve_metric_name
from kgraph.losses import (  # noqa: F401  (Keras' short names)
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from kgraph.metric_base import Mean, MeanMetricWrapper, Metric, Sum
from kgraph.metrics_confusion import *  # noqa: F403
from kgraph.metrics_scores import *  # noqa: F403
from kgraph.metrics_wrappers import *  # noqa: F403
from kgraph.metrics_wrappers import (
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
)


# -- functions: one value per sample (per element for the binary accuracy) ---------------------
def _values(name, y_true, y_pred, **params):
    from kgraph.losses_eager import metric_values

    return metric_values({"name": name, **params}, y_true, y_pred)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of ``y_pred`` equals the integer label, else 0.0."""
    return _values("sparse_categorical_accuracy", y_true, y_pred)


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-maxes of ``y_pred`` and one-hot ``y_true`` agree, else 0.0."""
    return _values("categorical_accuracy", y_true, y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` equals ``y_true``, elementwise."""
    return _values("binary_accuracy", y_true, y_pred, threshold=threshold)


def pearson_correlation(y_true, y_pred, axis=-1):
    """The Pearson correlation of each sample's targets and predictions along ``axis``."""
    return _values("pearson_correlation", y_true, y_pred, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """The concordance correlation of each sample's targets and predictions along ``axis``."""
    return _values("concordance_correlation", y_true, y_pred, axis=axis)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target's class is among the ``k`` highest scores."""
    return _values("top_k_categorical_accuracy", y_true, y_pred, k=int(k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer label is among the ``k`` highest scores (or first ``k`` ids)."""
    params = {"k": int(k), "from_sorted_ids": bool(from_sorted_ids)}
    return _values("sparse_top_k_categorical_accuracy", y_true, y_pred, **params)


_BY_NAME = {
    "accuracy": _wrappers.Accuracy,
    "acc": _wrappers.Accuracy,
    "mae": MeanAbsoluteError,
    "mse": MeanSquaredError,
    "mape": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "bce": BinaryCrossentropy,
    "kld": KLDivergence,
    "logcosh": LogCoshError,
    "log_cosh": LogCoshError,
    "auc": _confusion.AUC,
    "iou": _scores.IoU,
    "mean_iou": _scores.MeanIoU,
}
_BY_CLASS = {
    name: cls
    for module in (_wrappers, _confusion, _scores)
    for name, cls in vars(module).items()
    if name in module.__all__
}
_BY_CLASS.update({"Mean": Mean, "Sum": Sum})


def _snake(name: str) -> str:
    out = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
    return out


_BY_NAME.update({_snake(n): c for n, c in _BY_CLASS.items() if _snake(n) not in _BY_NAME})
_BY_NAME.update({k.upper(): v for k, v in list(_BY_NAME.items()) if len(k) <= 4 and k != "acc"})
_BY_FUNCTION = {
    sparse_categorical_accuracy: SparseCategoricalAccuracy,
    categorical_accuracy: CategoricalAccuracy,
    binary_accuracy: BinaryAccuracy,
    top_k_categorical_accuracy: TopKCategoricalAccuracy,
    sparse_top_k_categorical_accuracy: SparseTopKCategoricalAccuracy,
    mean_absolute_error: MeanAbsoluteError,
    mean_squared_error: MeanSquaredError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    binary_crossentropy: BinaryCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    log_cosh: LogCoshError,
    pearson_correlation: _wrappers.PearsonCorrelation,
    concordance_correlation: _wrappers.ConcordanceCorrelation,
}
_WRAPPED_FUNCTIONS = (huber, binary_focal_crossentropy, categorical_focal_crossentropy)
_BY_NAME.update(
    {fn.__name__: cls for fn, cls in _BY_FUNCTION.items() if fn.__name__ not in _BY_NAME}
)


def get(identifier) -> Metric:
    """A metric from a Keras name, a class or class name, a config dict, a metric function
    (``kgraph.metrics.binary_accuracy``) or an instance.

    A name is kept as the display name and a function's ``__name__`` is, as Keras' ``compile``
    names them. ``"accuracy"`` alone is the exact-match ``Accuracy``; ``compile`` resolves the
    string from the loss and output shape instead (see :func:`compile_specs`).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_CLASS:
        return _BY_CLASS[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if cls is not None:
            return cls(name=identifier) if identifier in _BY_NAME else cls()
        wrapped = {fn.__name__: fn for fn in _WRAPPED_FUNCTIONS}.get(identifier)
        if wrapped is not None:
            return MeanMetricWrapper(wrapped)
    elif callable(identifier) and identifier in _BY_FUNCTION:
        return _BY_FUNCTION[identifier](name=identifier.__name__)
    elif callable(identifier) and identifier in _WRAPPED_FUNCTIONS:
        return MeanMetricWrapper(identifier)
    raise ValueError(
        f"Unknown metric: {identifier!r}. Known metrics: {', '.join(sorted(_BY_NAME))}, "
        "their classes and the functions of kgraph.metrics."
    )


def serialize(metric) -> dict:
    """The Keras config dict of a ``Metric`` instance or a metric function."""
    from kgraph.saving.serialization_lib import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """The metric a config dict (from :func:`serialize`) or a name describes."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        fn = globals().get(config)
        if callable(fn) and not isinstance(fn, type) and config in __all__:
            return fn
        return get(config)
    from kgraph.saving.serialization_lib import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)


def _unique(name: str, taken: set) -> str:
    """``name``, or Keras' de-duplicated ``name_1``, ``name_2``... when it is taken."""
    index = 1
    while f"{name}_{index}" in taken:
        index += 1
    return f"{name}_{index}"


def compile_specs(metrics, weighted_metrics, prefix, loss_name, output_shape, taken) -> list:
    """The compiler specs of one output's ``metrics`` then ``weighted_metrics``, named as Keras
    names them.

    The strings ``"accuracy"``/``"acc"`` are resolved from the loss and output shape (an
    ``Accuracy()`` object is exact match); with a custom loss or none, from the targets'
    shape when the graph is built. Only weighted metrics see ``sample_weight`` /
    ``class_weight``. Names are made unique as Keras' ``CompileMetrics`` does over ``taken``
    (the display names so far; updated): a repeated metric name gets ``_1``, ``_2``...; a
    weighted metric whose name is taken is shown as ``weighted_<name>`` (then
    ``weighted_<name>_1``...). ``prefix`` is ``"<output>_"`` for models with several outputs.
    """
    specs = []
    for weighted, items in ((False, metrics), (True, weighted_metrics)):
        items = items if isinstance(items, (list, tuple)) else [items] if items else []
        for item in items:
            if isinstance(item, str) and item.lower() in ACCURACY_NAMES:
                spec = {"name": item, "display_name": item}
            else:
                spec = get(item).spec()
                if isinstance(item, str):  # Keras' compile names a metric by its string
                    spec["display_name"] = item
            if not (loss_name in (None, "traced") and spec["name"].lower() in ACCURACY_NAMES):
                spec["name"] = resolve_metric_name(spec["name"], loss_name, output_shape)
            # else the targets' shape tells (the graph resolves it from its label input): a
            # custom loss may read class labels or one-hot targets, as Keras decides per batch
            spec = complete_spec(spec, output_shape)
            display = prefix + spec["display_name"]
            if display in taken:
                if weighted:
                    display = f"{prefix}weighted_{spec['display_name']}"
                    display = _unique(display, taken) if display in taken else display
                else:
                    display = _unique(display, taken)
            taken.add(display)
            specs.append({**spec, "display_name": display, "weighted": weighted})
    return specs


_FUNCTION_NAMES = [
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "pearson_correlation",
    "poisson",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
__all__ = [
    *_wrappers.__all__,
    *_confusion.__all__,
    *_scores.__all__,
    "Mean",
    "MeanMetricWrapper",
    "Metric",
    "Sum",
    *_FUNCTION_NAMES,
    "compile_specs",
    "deserialize",
    "get",
    "serialize",
]
