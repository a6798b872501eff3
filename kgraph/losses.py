"""Losses with Keras names, defaults and call signatures.

A loss object (:mod:`kgraph.losses_classes`, base :class:`Loss`) is a config the compiler turns
into graph nodes; the loss functions here (``mean_squared_error``, ``kl_divergence``...) name
the same computations and return one value per sample. Both also run eagerly on arrays: calling
them builds the compiler's loss graph and runs it in onnxruntime (:mod:`kgraph.losses_eager`),
so eager values match training exactly.

``CTC`` has no ONNX op: its recursion is unrolled over the (static) time steps.
"""

from __future__ import annotations

from kgraph import losses_classes as _classes
from kgraph.loss_base import Loss
from kgraph.losses_classes import *  # noqa: F403  (the Keras loss classes)
from kgraph.losses_classes import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Dice,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    Tversky,
)


# -- functions: one loss value per sample, no reduction --------------------------------------
def _values(name, y_true, y_pred, **params):
    from kgraph.losses_eager import loss_values

    return loss_values({"name": name, **params}, y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-sample crossentropy of integer labels; entries labelled ``ignore_class`` give 0."""
    params = {"from_logits": bool(from_logits), "ignore_class": ignore_class, "axis": axis}
    return _values("sparse_categorical_crossentropy", y_true, y_pred, **params)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample crossentropy of one-hot (or soft) targets."""
    params = {"from_logits": bool(from_logits), "label_smoothing": float(label_smoothing)}
    return _values("categorical_crossentropy", y_true, y_pred, axis=axis, **params)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy averaged over ``axis``."""
    params = {"from_logits": bool(from_logits), "label_smoothing": float(label_smoothing)}
    return _values("binary_crossentropy", y_true, y_pred, axis=axis, **params)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Focal binary crossentropy averaged over ``axis``."""
    return _values(
        "binary_focal_crossentropy",
        y_true,
        y_pred,
        apply_class_balancing=bool(apply_class_balancing),
        alpha=float(alpha),
        gamma=float(gamma),
        from_logits=bool(from_logits),
        label_smoothing=float(label_smoothing),
        axis=axis,
    )


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Focal categorical crossentropy, one value per sample."""
    return _values(
        "categorical_focal_crossentropy",
        y_true,
        y_pred,
        alpha=float(alpha),
        gamma=float(gamma),
        from_logits=bool(from_logits),
        label_smoothing=float(label_smoothing),
        axis=axis,
    )


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """``(1 - p_y ** q) / q`` of integer labels ``y``."""
    return _values("categorical_generalized_cross_entropy", y_true, y_pred, q=float(q))


def circle(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    """Per-sample Circle loss of integer labels and L2-normalised embeddings (masked samples,
    without any positive pair, give 0). ``ref_labels`` / ``ref_embeddings`` other than the batch
    itself are not supported."""
    if ref_labels is not None or ref_embeddings is not None:
        raise ValueError(
            "kgraph's circle() compares the batch with itself; `ref_labels` and "
            "`ref_embeddings` are not supported. Received: ref_labels, ref_embeddings"
        )
    params = {"gamma": float(gamma), "margin": float(margin), "remove_diagonal": remove_diagonal}
    return _values("circle", y_true, y_pred, **params)


def ctc(y_true, y_pred):
    """Per-sample CTC loss of integer labels (0-padded; 0 is the blank) and per-step logits."""
    return _values("ctc", y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    return _values("mean_squared_error", y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    return _values("mean_absolute_error", y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|y - p| / max(|y|, eps), axis=-1)``."""
    return _values("mean_absolute_percentage_error", y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(p + 1) - log(y + 1)) ** 2, axis=-1)`` (both floored at eps)."""
    return _values("mean_squared_logarithmic_error", y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss (quadratic within ``delta``, linear beyond) averaged over the last axis."""
    return _values("huber", y_true, y_pred, delta=float(delta))


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(p - y)), axis=-1)``."""
    return _values("log_cosh", y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(normalize(y) * normalize(p), axis)``."""
    return _values("cosine_similarity", y_true, y_pred, axis=axis)


def kl_divergence(y_true, y_pred):
    """``sum(y * log(y / p), axis=-1)`` with both clipped to ``[eps, 1]``."""
    return _values("kl_divergence", y_true, y_pred)


def poisson(y_true, y_pred):
    """``mean(p - y * log(p + eps), axis=-1)``."""
    return _values("poisson", y_true, y_pred)


def hinge(y_true, y_pred):
    """``mean(max(1 - y * p, 0), axis=-1)``; 0/1 labels become -1/1."""
    return _values("hinge", y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y * p, 0) ** 2, axis=-1)``; 0/1 labels become -1/1."""
    return _values("squared_hinge", y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y) * p) - sum(y * p) + 1, 0)`` per sample."""
    return _values("categorical_hinge", y_true, y_pred)


def dice(y_true, y_pred, axis=None):
    """``1 - 2 sum(y p) / (sum(y) + sum(p) + eps)`` over ``axis`` (all axes by default)."""
    return _values("dice", y_true, y_pred, axis=axis)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss over ``axis`` (all axes by default)."""
    return _values("tversky", y_true, y_pred, alpha=float(alpha), beta=float(beta), axis=axis)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

_FUNCTIONS = {
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    huber: Huber,
    log_cosh: LogCosh,
    cosine_similarity: CosineSimilarity,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    dice: Dice,
    tversky: Tversky,
    circle: _classes.Circle,
    ctc: _classes.CTC,
}
_BY_FUNCTION = dict(_FUNCTIONS)
_BY_NAME = {fn.__name__: cls for fn, cls in _FUNCTIONS.items()}
_BY_NAME.update({a: _BY_NAME[f.__name__] for a, f in (("mse", mse), ("mae", mae), ("mape", mape))})
_BY_NAME.update(
    {"msle": MeanSquaredLogarithmicError, "kld": KLDivergence, "bce": BinaryCrossentropy}
)
_BY_NAME.update(
    {"huber_loss": Huber, "logcosh": LogCosh, "kullback_leibler_divergence": KLDivergence}
)
_BY_NAME.update({k.upper(): v for k, v in list(_BY_NAME.items()) if len(k) <= 4})
_BY_CLASS = {name: globals()[name] for name in _classes.__all__}
_NAMED_FUNCTIONS = {fn.__name__: fn for fn in _FUNCTIONS}


def get(identifier) -> Loss | None:
    """A loss object from a Keras name, a class name, a config dict, a class, a loss function
    (``kgraph.losses.mse``) or an instance.

    Unlike Keras, a function name (``"mse"``) gives the matching ``Loss`` object rather than the
    function: ``compile`` reads the object's spec. Call it on arrays for the reduced loss.
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        if identifier.get("class_name") == "function":
            return get(identifier.get("config"))
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


def serialize(loss) -> dict:
    """The Keras config dict of a ``Loss`` instance or a loss function."""
    from kgraph.saving.serialization_lib import serialize_keras_object

    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """The loss a config dict (from :func:`serialize`) or a name describes: a class name gives
    an instance, a function name the function, as in Keras."""
    if isinstance(name, str):
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        if name in _BY_CLASS:
            return _BY_CLASS[name]()
        fn = _NAMED_FUNCTIONS.get(name) or globals().get(name)
        if callable(fn) and not isinstance(fn, type):
            return fn
        raise ValueError(f"Unknown loss: {name!r}.")
    from kgraph.saving.serialization_lib import deserialize_keras_object

    return deserialize_keras_object(name, custom_objects=custom_objects)


__all__ = [
    *_classes.__all__,
    "Loss",
    *sorted(fn.__name__ for fn in _FUNCTIONS),
    "categorical_generalized_cross_entropy",
    "deserialize",
    "get",
    "serialize",
]
