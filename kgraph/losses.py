"""Losses with Keras names, defaults and call signatures.

A loss object is a config the compiler turns into graph nodes (:meth:`Loss.spec`); the loss
functions (``mean_squared_error``, ``sparse_categorical_crossentropy``...) name the same
computations. Both also run eagerly on arrays: calling them builds the compiler's loss graph and
runs it in onnxruntime (:mod:`kgraph.losses_eager`), so eager values match training exactly.
"""

from __future__ import annotations

from kgraph.compiler.losses import REDUCTIONS as _REDUCTIONS


class Loss:
    """Base class: a named loss with ``reduction`` and hyper-parameters.

    Args:
        name: Display name.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` (the weighted sum over the sum of the weights), or
            ``"none"``/``None`` (no reduction).
        dtype: Accepted for Keras compatibility; losses compute in float32.
    """

    loss_name = ""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None, **params):
        if reduction not in _REDUCTIONS:
            raise ValueError(
                "Invalid value for argument `reduction`. Expected one of "
                f"{_REDUCTIONS}. Received: reduction={reduction}"
            )
        self.name = name or self.loss_name
        self.reduction = reduction
        self.dtype = dtype or "float32"
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
        """The loss of a batch: per-sample values, weighted by ``sample_weight``, reduced."""
        from kgraph.losses_eager import evaluate_loss

        return evaluate_loss(self.spec(), y_true, y_pred, sample_weight)

    def call(self, y_true, y_pred):
        """The unreduced, unweighted per-sample loss."""
        from kgraph.losses_eager import loss_values

        return loss_values(self.spec(), y_true, y_pred)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class SparseCategoricalCrossentropy(Loss):
    loss_name = "sparse_categorical_crossentropy"

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        extra = {} if ignore_class is None else {"ignore_class": int(ignore_class)}
        super().__init__(name, reduction, dtype, from_logits=bool(from_logits), axis=axis, **extra)
        self.from_logits, self.ignore_class = bool(from_logits), ignore_class

    def get_config(self) -> dict:
        return {**super().get_config(), "ignore_class": self.ignore_class}


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
            dtype,
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
            dtype,
            from_logits=bool(from_logits),
            label_smoothing=float(label_smoothing),
            axis=axis,
        )


class MeanSquaredError(Loss):
    loss_name = "mean_squared_error"

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(name, reduction, dtype)


class MeanAbsoluteError(Loss):
    loss_name = "mean_absolute_error"

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name, reduction, dtype)


class Huber(Loss):
    loss_name = "huber"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(name, reduction, dtype, delta=float(delta))


# -- functions: one loss value per sample, no reduction --------------------------------------
def _values(name, y_true, y_pred, **params):
    from kgraph.losses_eager import loss_values

    return loss_values({"name": name, **params}, y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample crossentropy of integer labels; entries labelled ``ignore_class`` give 0."""
    return _values(
        "sparse_categorical_crossentropy",
        y_true,
        y_pred,
        from_logits=bool(from_logits),
        ignore_class=ignore_class,
        axis=axis,
    )


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample crossentropy of one-hot (or soft) targets."""
    return _values(
        "categorical_crossentropy",
        y_true,
        y_pred,
        from_logits=bool(from_logits),
        label_smoothing=float(label_smoothing),
        axis=axis,
    )


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy averaged over ``axis``."""
    return _values(
        "binary_crossentropy",
        y_true,
        y_pred,
        from_logits=bool(from_logits),
        label_smoothing=float(label_smoothing),
        axis=axis,
    )


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    return _values("mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    return _values("mean_absolute_error", y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss (quadratic within ``delta``, linear beyond) averaged over the last axis."""
    return _values("huber", y_true, y_pred, delta=float(delta))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_BY_FUNCTION = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    huber: Huber,
}

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
    """A loss object from a Keras name, a class name, a config dict, a class, a loss function
    (``kgraph.losses.mse``) or an instance."""
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        cls = _BY_CLASS.get(identifier.get("class_name", ""))
        if cls is None:
            raise ValueError(f"Unknown loss: {identifier.get('class_name')!r}.")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
    else:
        cls = _BY_FUNCTION.get(identifier) if callable(identifier) else None
    if cls is None:
        raise ValueError(
            f"Unknown loss: {identifier!r}. Known losses: {', '.join(sorted(_BY_NAME))}, "
            "their classes and the functions of kgraph.losses."
        )
    return cls()
