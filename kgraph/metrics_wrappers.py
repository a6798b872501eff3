"""Keras' mean metrics: accuracies, top-k accuracies, regression errors, probabilistic and hinge
metrics. Each averages a per-sample value over every sample seen (weighted by
``sample_weight``); :mod:`kgraph.compiler.metrics.mean` builds the values. Re-exported by
:mod:`kgraph.metrics`.
"""

from __future__ import annotations

from kgraph.compiler.metrics import EXACT_MATCH
from kgraph.metric_base import Metric


def _plain(class_name: str, metric_name: str, default_name: str, doc: str) -> type:
    """A mean metric without hyper-parameters: ``(name, dtype)`` as in Keras."""

    def init(self, name=default_name, dtype=None):
        Metric.__init__(self, name=name, dtype=dtype)

    attrs = {"metric_name": metric_name, "__init__": init, "__doc__": doc}
    return type(class_name, (Metric,), attrs)


Accuracy = _plain(
    "Accuracy",
    EXACT_MATCH,
    "accuracy",
    'How often ``y_pred`` equals ``y_true`` exactly (the ``"accuracy"`` string in ``compile`` '
    "instead picks binary, sparse or categorical accuracy).",
)
SparseCategoricalAccuracy = _plain(
    "SparseCategoricalAccuracy",
    "sparse_categorical_accuracy",
    "sparse_categorical_accuracy",
    "How often the arg-max of ``y_pred`` equals the integer label.",
)
CategoricalAccuracy = _plain(
    "CategoricalAccuracy",
    "categorical_accuracy",
    "categorical_accuracy",
    "How often the arg-max of ``y_pred`` equals the arg-max of one-hot ``y_true``.",
)
MeanAbsoluteError = _plain(
    "MeanAbsoluteError", "mean_absolute_error", "mean_absolute_error", "Mean ``|y - p|``."
)
MeanSquaredError = _plain(
    "MeanSquaredError", "mean_squared_error", "mean_squared_error", "Mean ``(y - p) ** 2``."
)
MeanAbsolutePercentageError = _plain(
    "MeanAbsolutePercentageError",
    "mean_absolute_percentage_error",
    "mean_absolute_percentage_error",
    "Mean ``100 |y - p| / max(|y|, eps)``.",
)
MeanSquaredLogarithmicError = _plain(
    "MeanSquaredLogarithmicError",
    "mean_squared_logarithmic_error",
    "mean_squared_logarithmic_error",
    "Mean ``(log(p + 1) - log(y + 1)) ** 2``.",
)
RootMeanSquaredError = _plain(
    "RootMeanSquaredError",
    "root_mean_squared_error",
    "root_mean_squared_error",
    "``sqrt(mean((p - y) ** 2))`` over every element seen.",
)
LogCoshError = _plain("LogCoshError", "log_cosh", "logcosh", "Mean ``log(cosh(p - y))``.")
KLDivergence = _plain(
    "KLDivergence", "kl_divergence", "kl_divergence", "Mean ``sum(y * log(y / p))``."
)
Poisson = _plain("Poisson", "poisson", "poisson", "Mean ``p - y * log(p + eps)``.")
Hinge = _plain("Hinge", "hinge", "hinge", "Mean ``max(1 - y * p, 0)``.")
SquaredHinge = _plain("SquaredHinge", "squared_hinge", "squared_hinge", "Mean squared hinge.")
CategoricalHinge = _plain(
    "CategoricalHinge", "categorical_hinge", "categorical_hinge", "Mean categorical hinge."
)


class BinaryAccuracy(Metric):
    """How often ``y_pred > threshold`` equals ``y_true``."""

    metric_name = "binary_accuracy"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class TopKCategoricalAccuracy(Metric):
    """How often the one-hot target's class is among the ``k`` highest scores."""

    metric_name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=int(k))


class SparseTopKCategoricalAccuracy(Metric):
    """How often the integer label is among the ``k`` highest scores (or, with
    ``from_sorted_ids``, among the first ``k`` ids of ``y_pred``)."""

    metric_name = "sparse_top_k_categorical_accuracy"

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        super().__init__(name=name, dtype=dtype, k=int(k), from_sorted_ids=bool(from_sorted_ids))


class CosineSimilarity(Metric):
    """Mean cosine similarity of ``y_true`` and ``y_pred`` along ``axis``."""

    metric_name = "cosine_similarity"

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class PearsonCorrelation(Metric):
    """Mean Pearson correlation of ``y_true`` and ``y_pred`` along ``axis``."""

    metric_name = "pearson_correlation"

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(Metric):
    """Mean concordance correlation of ``y_true`` and ``y_pred`` along ``axis``."""

    metric_name = "concordance_correlation"

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class BinaryCrossentropy(Metric):
    """Mean binary crossentropy."""

    metric_name = "binary_crossentropy"

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
        )


class CategoricalCrossentropy(Metric):
    """Mean categorical crossentropy."""

    metric_name = "categorical_crossentropy"

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class SparseCategoricalCrossentropy(Metric):
    """Mean sparse categorical crossentropy (labels equal to ``ignore_class`` are skipped)."""

    metric_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=bool(from_logits),
            ignore_class=ignore_class,
            axis=axis,
        )


__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "Hinge",
    "KLDivergence",
    "LogCoshError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "PearsonCorrelation",
    "Poisson",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "TopKCategoricalAccuracy",
]
