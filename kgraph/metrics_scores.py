"""Keras' score metrics with per-class state: FBetaScore, F1Score, IoU, MeanIoU, BinaryIoU,
OneHotIoU, OneHotMeanIoU and R2Score, with Keras 3's arguments, defaults and validation.
:mod:`kgraph.compiler.metrics.scores` builds them. Re-exported by :mod:`kgraph.metrics`.
"""

from __future__ import annotations

from kgraph.metric_base import Metric


class FBetaScore(Metric):
    """``(1 + beta^2) P R / (beta^2 P + R)`` per class, or averaged (``"micro"``, ``"macro"``,
    ``"weighted"``). Without ``threshold`` each row's top score is the predicted class."""

    metric_name = "fbeta_score"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        super().__init__(name=name, dtype=dtype, average=average, beta=beta, threshold=threshold)


class F1Score(FBetaScore):
    """FBetaScore with ``beta=1``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("beta", None)
        return config


class IoU(Metric):
    """Mean intersection-over-union of the ``target_class_ids`` from an accumulated confusion
    matrix (classes absent from both labels and predictions are left out)."""

    metric_name = "iou"

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes})."
            )
        super().__init__(
            name=name or "io_u",
            dtype=dtype,
            num_classes=int(num_classes),
            target_class_ids=[int(i) for i in target_class_ids],
            ignore_class=ignore_class,
            sparse_y_true=bool(sparse_y_true),
            sparse_y_pred=bool(sparse_y_pred),
            axis=axis,
        )
        self._dtype_arg = dtype

    def spec(self) -> dict:  # Keras counts in int by default: float weights are truncated
        return {**super().spec(), "dtype": self._dtype_arg}


class MeanIoU(IoU):
    """IoU averaged over every class."""

    _derived = ("target_class_ids",)

    def get_config(self) -> dict:
        return {k: v for k, v in super().get_config().items() if k not in self._derived}

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name or "mean_io_u",
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotIoU(IoU):
    """IoU of one-hot labels (and, unless ``sparse_y_pred``, dense predictions)."""

    def get_config(self) -> dict:
        return {k: v for k, v in super().get_config().items() if k != "sparse_y_true"}

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            target_class_ids,
            name=name or "one_hot_io_u",
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotMeanIoU(MeanIoU):
    """MeanIoU of one-hot labels (and, unless ``sparse_y_pred``, dense predictions)."""

    _derived = ("target_class_ids", "sparse_y_true")

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes,
            name=name or "one_hot_mean_io_u",
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class BinaryIoU(Metric):
    """IoU of two classes, predictions ``>= threshold`` being class 1."""

    metric_name = "binary_iou"

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        if max(target_class_ids) >= 2:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is [0, 2)."
            )
        super().__init__(
            name=name or "binary_io_u",
            dtype=dtype,
            target_class_ids=[int(i) for i in target_class_ids],
            threshold=float(threshold),
        )
        self._dtype_arg = dtype

    def spec(self) -> dict:
        return {**super().spec(), "dtype": self._dtype_arg}


class R2Score(Metric):
    """The coefficient of determination, per output or aggregated (``"uniform_average"``,
    ``"variance_weighted_average"``); adjusted for ``num_regressors`` when there are enough
    samples."""

    metric_name = "r2_score"

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{valid}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        super().__init__(
            name=name,
            dtype=dtype,
            class_aggregation=class_aggregation,
            num_regressors=int(num_regressors),
        )


__all__ = [
    "BinaryIoU",
    "F1Score",
    "FBetaScore",
    "IoU",
    "MeanIoU",
    "OneHotIoU",
    "OneHotMeanIoU",
    "R2Score",
]
