"""Keras' built-in loss classes: names, argument orders, defaults and validation of Keras 3.

Each class only records its hyper-parameters; :mod:`kgraph.compiler.losses` builds the graph.
Re-exported by :mod:`kgraph.losses`.
"""

from __future__ import annotations

from kgraph.loss_base import Loss

_SBS = "sum_over_batch_size"


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )
    return axis


class SparseCategoricalCrossentropy(Loss):
    loss_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction=_SBS,
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        extra = {} if ignore_class is None else {"ignore_class": int(ignore_class)}
        super().__init__(name, reduction, dtype, from_logits=bool(from_logits), axis=axis, **extra)
        self.from_logits, self.ignore_class = bool(from_logits), ignore_class

    def get_config(self) -> dict:
        return {**super().get_config(), "ignore_class": self.ignore_class}


class _Crossentropy(Loss):
    """Shared constructor of the categorical and binary crossentropies."""

    def __init__(self, from_logits, label_smoothing, axis, reduction, name, dtype, **extra):
        super().__init__(
            name,
            reduction,
            dtype,
            **extra,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=_check_axis(axis),
        )


class CategoricalCrossentropy(_Crossentropy):
    loss_name = "categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_SBS,
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(from_logits, label_smoothing, axis, reduction, name, dtype)


class BinaryCrossentropy(_Crossentropy):
    loss_name = "binary_crossentropy"

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_SBS,
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(from_logits, label_smoothing, axis, reduction, name, dtype)


class BinaryFocalCrossentropy(_Crossentropy):
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma`` (and ``alpha`` per class when
    ``apply_class_balancing``), which down-weights easy examples."""

    loss_name = "binary_focal_crossentropy"

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_SBS,
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            from_logits,
            label_smoothing,
            axis,
            reduction,
            name,
            dtype,
            apply_class_balancing=bool(apply_class_balancing),
            alpha=float(alpha),
            gamma=float(gamma),
        )


class CategoricalFocalCrossentropy(_Crossentropy):
    """Categorical crossentropy scaled by ``alpha * (1 - p) ** gamma``."""

    loss_name = "categorical_focal_crossentropy"

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction=_SBS,
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            from_logits,
            label_smoothing,
            axis,
            reduction,
            name,
            dtype,
            alpha=float(alpha),
            gamma=float(gamma),
        )


class CategoricalGeneralizedCrossEntropy(Loss):
    """``(1 - p_y ** q) / q`` for integer labels ``y``: robust to noisy labels."""

    loss_name = "categorical_generalized_cross_entropy"

    def __init__(
        self, q=0.5, reduction=_SBS, name="categorical_generalized_cross_entropy", dtype=None
    ):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(name, reduction, dtype, q=float(q))


def _plain(class_name: str, loss_name: str, default_name: str, doc: str) -> type:
    """A loss class without hyper-parameters: ``(reduction, name, dtype)`` as in Keras."""

    def init(self, reduction=_SBS, name=default_name, dtype=None):
        Loss.__init__(self, name, reduction, dtype)

    return type(class_name, (Loss,), {"loss_name": loss_name, "__init__": init, "__doc__": doc})


MeanSquaredError = _plain(
    "MeanSquaredError", "mean_squared_error", "mean_squared_error", "``mean((y - p) ** 2)``."
)
MeanAbsoluteError = _plain(
    "MeanAbsoluteError", "mean_absolute_error", "mean_absolute_error", "``mean(|y - p|)``."
)
MeanAbsolutePercentageError = _plain(
    "MeanAbsolutePercentageError",
    "mean_absolute_percentage_error",
    "mean_absolute_percentage_error",
    "``100 * mean(|y - p| / max(|y|, eps))``.",
)
MeanSquaredLogarithmicError = _plain(
    "MeanSquaredLogarithmicError",
    "mean_squared_logarithmic_error",
    "mean_squared_logarithmic_error",
    "``mean((log(p + 1) - log(y + 1)) ** 2)`` (both floored at eps).",
)
LogCosh = _plain("LogCosh", "log_cosh", "log_cosh", "``mean(log(cosh(p - y)))``.")
Hinge = _plain("Hinge", "hinge", "hinge", "``mean(max(1 - y * p, 0))``; 0/1 labels become -1/1.")
SquaredHinge = _plain(
    "SquaredHinge", "squared_hinge", "squared_hinge", "``mean(max(1 - y * p, 0) ** 2)``."
)
CategoricalHinge = _plain(
    "CategoricalHinge",
    "categorical_hinge",
    "categorical_hinge",
    "``max(max((1 - y) * p) - sum(y * p) + 1, 0)``.",
)
KLDivergence = _plain(
    "KLDivergence", "kl_divergence", "kl_divergence", "``sum(y * log(y / p))`` (clipped)."
)
Poisson = _plain("Poisson", "poisson", "poisson", "``mean(p - y * log(p + eps))``.")


class Huber(Loss):
    loss_name = "huber"

    def __init__(self, delta=1.0, reduction=_SBS, name="huber_loss", dtype=None):
        super().__init__(name, reduction, dtype, delta=float(delta))


class CosineSimilarity(Loss):
    """``-sum(normalize(y) * normalize(p))`` over ``axis``: -1 for aligned vectors."""

    loss_name = "cosine_similarity"

    def __init__(self, axis=-1, reduction=_SBS, name="cosine_similarity", dtype=None):
        super().__init__(name, reduction, dtype, axis=_check_axis(axis))


def _axis_config(axis):
    return list(axis) if isinstance(axis, tuple) else axis


class Dice(Loss):
    """``1 - 2 sum(y p) / (sum(y) + sum(p))`` over ``axis`` (every axis by default)."""

    loss_name = "dice"

    def __init__(self, reduction=_SBS, name="dice", axis=None, dtype=None):
        super().__init__(name, reduction, dtype, axis=_axis_config(axis))


class Tversky(Loss):
    """Dice generalised: ``alpha`` weighs missed targets, ``beta`` false alarms."""

    loss_name = "tversky"

    def __init__(self, alpha=0.5, beta=0.5, reduction=_SBS, name="tversky", axis=None, dtype=None):
        super().__init__(
            name, reduction, dtype, alpha=float(alpha), beta=float(beta), axis=_axis_config(axis)
        )


class CTC(Loss):
    """Connectionist temporal classification: integer labels ``(batch, max_length)`` padded
    with the blank class 0, logits ``(batch, time, classes)`` (a static number of steps)."""

    loss_name = "ctc"

    def __init__(self, reduction=_SBS, name="ctc", dtype=None):
        super().__init__(name, reduction, dtype)


class Circle(Loss):
    """Circle loss of integer labels and L2-normalised embeddings: pulls same-label pairs
    together and pushes other pairs apart, each pair weighted by how far it is from its
    optimum (``margin``), scaled by ``gamma``."""

    loss_name = "circle"

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction=_SBS,
        name="circle",
        dtype=None,
    ):
        params = {"gamma": gamma, "margin": margin, "remove_diagonal": bool(remove_diagonal)}
        super().__init__(name, reduction, dtype, **params)


__all__ = [
    "CTC",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "Tversky",
]
