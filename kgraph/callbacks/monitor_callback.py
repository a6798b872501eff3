"""``MonitorCallback``: the "is this value better than the best so far?" logic shared by
``EarlyStopping``, ``ReduceLROnPlateau`` and ``ModelCheckpoint``, with Keras' rules.

Keras finds the direction of ``mode="auto"`` from the ``_direction`` of the compiled metric
objects. kgraph's metrics live in the compiled graph, so the direction comes from the metric's
name instead: ``loss`` and the Keras names of error-like metrics go down, the names of
accuracy-like metrics (the ones Keras marks ``"up"``) go up. A name kgraph cannot place raises
Keras' error asking for ``mode="min"`` or ``mode="max"``.
"""

from __future__ import annotations

import operator
import warnings

from kgraph.callbacks.callback import Callback

#: Keras metric names (and aliases) whose ``_direction`` is ``"up"``.
UP_NAMES = frozenset(
    {
        "accuracy",
        "acc",
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "auc",
        "precision",
        "recall",
        "f1_score",
        "fbeta_score",
        "iou",
        "mean_iou",
        "binary_iou",
        "one_hot_iou",
        "one_hot_mean_iou",
        "r2_score",
        "cosine_similarity",
        "pearson_correlation",
        "concordance_correlation",
        "true_positives",
        "true_negatives",
        "precision_at_recall",
        "recall_at_precision",
        "sensitivity_at_specificity",
        "specificity_at_sensitivity",
    }
)

#: Keras metric names (and aliases) whose ``_direction`` is ``"down"``.
DOWN_NAMES = frozenset(
    {
        "loss",
        "mse",
        "mae",
        "mape",
        "msle",
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "root_mean_squared_error",
        "log_cosh_error",
        "logcosh",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
        "kl_divergence",
        "kld",
        "poisson",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "false_positives",
        "false_negatives",
    }
)


def metric_direction(monitor: str, known: tuple[str, ...] = ()) -> str | None:
    """``"up"``, ``"down"`` or None for a log key such as ``val_accuracy`` or
    ``out_1_mae`` (a multi-output model prefixes each metric with its output's name, listed in
    ``known``)."""
    name = monitor.removeprefix("val_")
    for prefix in known:
        if name.startswith(f"{prefix}_") and name != "loss":
            name = name[len(prefix) + 1 :]
            break
    base = name.rstrip("0123456789").removesuffix("_") if name[-1:].isdigit() else name
    for candidate in (name, base):
        if candidate in UP_NAMES:
            return "up"
        if candidate in DOWN_NAMES or candidate.endswith("_loss"):
            return "down"
    return None


class MonitorCallback(Callback):
    """Base of the callbacks that watch one log value (``monitor``) for improvement.

    Args:
        monitor: The log key to watch ("val_loss" by default).
        mode: "auto", "min" or "max"; an unknown mode warns and falls back to "auto".
        baseline: The initial best value (None: the first value seen).
        min_delta: The smallest change counted as an improvement (its sign is ignored).
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        """Picks ``<`` or ``>`` once the model is known; for ``<`` ``min_delta`` turns negative,
        so ``value - min_delta`` is always the value that has to beat the best."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            outputs = tuple(getattr(self.model, "output_names", None) or ())
            direction = metric_direction(self.monitor, outputs)
            if direction is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    "kgraph isn't able to automatically determine whether that metric should "
                    "be maximized or minimized. Pass `mode='max'` in order to monitor based on "
                    "the highest metric value, or pass `mode='min'` in order to use the lowest "
                    "value."
                )
            self.monitor_op = operator.lt if direction == "down" else operator.gt
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
