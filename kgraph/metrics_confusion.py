"""Keras' confusion-matrix metrics: TruePositives, FalsePositives, TrueNegatives,
FalseNegatives, Precision, Recall, AUC, SensitivityAtSpecificity, SpecificityAtSensitivity,
PrecisionAtRecall and RecallAtPrecision, with Keras 3's arguments, defaults and validation.
:mod:`kgraph.compiler.metrics.confusion` builds their per-threshold counts. Re-exported by
:mod:`kgraph.metrics`.
"""

from __future__ import annotations

import numpy as np

from kgraph.metric_base import Metric


def _thresholds(thresholds):
    """Keras' ``parse_init_thresholds`` check; keeps a float as a float, a sequence as a list."""
    if thresholds is None:
        return None
    listed = [thresholds] if np.ndim(thresholds) == 0 else list(thresholds)
    invalid = [t for t in listed if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return float(thresholds) if np.ndim(thresholds) == 0 else [float(t) for t in listed]


class _Count(Metric):
    """A confusion-matrix count per threshold (a scalar result for one threshold)."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype, thresholds=_thresholds(thresholds))


class TruePositives(_Count):
    """The (weighted) number of positive labels predicted above each threshold."""

    metric_name = "true_positives"


class FalsePositives(_Count):
    """The (weighted) number of negative labels predicted above each threshold."""

    metric_name = "false_positives"


class TrueNegatives(_Count):
    """The (weighted) number of negative labels predicted at or below each threshold."""

    metric_name = "true_negatives"


class FalseNegatives(_Count):
    """The (weighted) number of positive labels predicted at or below each threshold."""

    metric_name = "false_negatives"


class _PrecisionRecall(Metric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(
            name=name,
            dtype=dtype,
            thresholds=_thresholds(thresholds),
            top_k=top_k,
            class_id=class_id,
        )


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)`` per threshold; ``top_k`` keeps each row's k best scores, ``class_id``
    one class."""

    metric_name = "precision"


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)`` per threshold; ``top_k`` and ``class_id`` as for Precision."""

    metric_name = "recall"


class _AtConstraint(Metric):
    """The best rate among thresholds where another rate reaches ``value``."""

    constraint = ""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ValueError(
                f"Argument `{self.constraint}` must be in the range [0, 1]. "
                f"Received: {self.constraint}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        params = {self.constraint: float(value), "num_thresholds": int(num_thresholds)}
        super().__init__(name=name, dtype=dtype, **params, class_id=class_id)


class SensitivityAtSpecificity(_AtConstraint):
    """The best recall among thresholds whose specificity is at least ``specificity``."""

    constraint = "specificity"
    metric_name = "sensitivity_at_specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among thresholds whose recall is at least ``sensitivity``."""

    constraint = "sensitivity"
    metric_name = "specificity_at_sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


class PrecisionAtRecall(_AtConstraint):
    """The best precision among thresholds whose recall is at least ``recall``."""

    constraint = "recall"
    metric_name = "precision_at_recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall among thresholds whose precision is at least ``precision``."""

    constraint = "precision"
    metric_name = "recall_at_precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class AUC(Metric):
    """Area under the ROC, PR or PR-gain curve, from counts at ``num_thresholds`` thresholds
    (or the given ``thresholds`` plus -eps and 1 + eps)."""

    metric_name = "auc"

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        if str(curve).upper() not in ("ROC", "PR", "PRGAIN"):
            raise ValueError(
                f'Invalid `curve` argument value "{curve}". Expected one of: ROC, PR, PRGAIN'
            )
        methods = ("interpolation", "minoring", "majoring")
        if str(summation_method).lower() not in methods:
            raise ValueError(
                f'Invalid `summation_method` argument value "{summation_method}". '
                f"Expected one of: {list(methods)}"
            )
        if thresholds is None and num_thresholds <= 1:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 1. "
                f"Received: num_thresholds={num_thresholds}"
            )
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        if thresholds is not None:
            num_thresholds = len(thresholds) + 2
        super().__init__(
            name=name,
            dtype=dtype,
            num_thresholds=int(num_thresholds),
            curve=str(curve).upper(),
            summation_method=str(summation_method).lower(),
            thresholds=_thresholds(list(thresholds)) if thresholds is not None else None,
            multi_label=bool(multi_label),
            num_labels=num_labels,
            label_weights=None if label_weights is None else [float(w) for w in label_weights],
            from_logits=bool(from_logits),
        )


__all__ = [
    "AUC",
    "FalseNegatives",
    "FalsePositives",
    "Precision",
    "PrecisionAtRecall",
    "Recall",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "TrueNegatives",
    "TruePositives",
]
