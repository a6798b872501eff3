"""Losses with Keras names and defaults. Each is a config the compiler turns into graph nodes."""

from __future__ import annotations

_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


class Loss:
    """Base class: a named loss with ``reduction`` and hyper-parameters.

    Args:
        name: Display name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"`` or ``None``.
    """

    loss_name = ""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None, **params):
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"Invalid reduction. Expected one of {_REDUCTIONS}. Received: reduction={reduction}"
            )
        self.name = name or self.loss_name
        self.reduction = reduction
        self.params = params

    def spec(self) -> dict:
        """The plain-data description the compiler reads."""
        return {"name": self.loss_name, "reduction": self.reduction, **self.params}

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, **self.params}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __call__(self, y_true, y_pred, sample_weight=None):
        from kgraph.losses_eager import evaluate_loss

        return evaluate_loss(self.spec(), y_true, y_pred, sample_weight)


class SparseCategoricalCrossentropy(Loss):
    loss_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy",
        axis=-1,
        dtype=None,
    ):
        if ignore_class is not None:
            raise ValueError(
                f"kgraph does not support ignore_class yet. Received: ignore_class={ignore_class}"
            )
        super().__init__(name, reduction, from_logits=bool(from_logits), axis=axis)


class CategoricalCrossentropy(Loss):
    loss_name = "categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            name,
            reduction,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class BinaryCrossentropy(Loss):
    loss_name = "binary_crossentropy"

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            name,
            reduction,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class MeanSquaredError(Loss):
    loss_name = "mean_squared_error"

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(name, reduction)


class MeanAbsoluteError(Loss):
    loss_name = "mean_absolute_error"

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name, reduction)


class Huber(Loss):
    loss_name = "huber"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(name, reduction, delta=float(delta))


_BY_NAME = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "huber": Huber,
    "huber_loss": Huber,
}
_BY_CLASS = {cls.__name__: cls for cls in _BY_NAME.values()}


def get(identifier) -> Loss | None:
    """A loss from a Keras name, a class name, a config dict or an instance."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        cls = _BY_CLASS.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"Unknown loss: {identifier.get('class_name')!r}.")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    cls = _BY_NAME.get(identifier) if isinstance(identifier, str) else None
    cls = cls or (_BY_CLASS.get(identifier) if isinstance(identifier, str) else None)
    if cls is None:
        raise ValueError(
            f"Unknown loss: {identifier!r}. Known losses: {', '.join(sorted(_BY_NAME))}."
        )
    return cls()
