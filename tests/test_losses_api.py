"""The Keras loss API of ``kgraph.losses``: loss objects called eagerly (reductions, sample
weights, ``ignore_class``, ``"mean_with_sample_weight"``), the loss functions (one value per
sample), ``get`` and ``compile(loss=<function>)``, all against numpy references written here.
Real Keras is the oracle in ``tests/oracle/test_losses_metrics_keras.py``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import losses

TOL = {"rtol": 1e-5, "atol": 1e-6}
EPS = 1e-7
RNG = np.random.default_rng(5)
B, C = 6, 4
LABELS = np.array([1, 0, 3, 2, 2, 1])
PROBS = RNG.dirichlet(np.ones(C), size=B).astype(np.float32)
LOGITS = RNG.normal(size=(B, C)).astype(np.float32)
SW = RNG.uniform(0.1, 2.0, size=B).astype(np.float32)
Y_REG = RNG.normal(size=(B, 3)).astype(np.float32)
P_REG = (Y_REG + RNG.normal(scale=1.5, size=(B, 3))).astype(np.float32)


# -- numpy references ------------------------------------------------------------------------
def log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def ref_cce(onehot, p, from_logits=False, smoothing=0.0):
    if smoothing:
        onehot = onehot * (1 - smoothing) + smoothing / onehot.shape[-1]
    logp = (
        log_softmax(p)
        if from_logits
        else np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS))
    )
    return -(onehot * logp).sum(-1)


def ref_bce(z, p, from_logits=False):
    if from_logits:
        return (np.maximum(p, 0) - p * z + np.log1p(np.exp(-np.abs(p)))).mean(-1)
    p = np.clip(p, EPS, 1 - EPS)
    return -(z * np.log(p) + (1 - z) * np.log(1 - p)).mean(-1)


def ref_huber(y, p, delta=1.0):
    err = np.abs(p - y)
    return np.where(err <= delta, 0.5 * err**2, delta * err - 0.5 * delta**2).mean(-1)


def reduce(values, sw=None, reduction="sum_over_batch_size"):
    weighted = values if sw is None else values * sw
    if reduction is None or reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean_with_sample_weight" and sw is not None:
        return weighted.sum() / sw.sum()
    return weighted.sum() / weighted.size


def per_sample(name):
    """(kgraph loss class, y_true, y_pred, numpy per-sample values)."""
    onehot = np.eye(C, dtype=np.float32)[LABELS]
    binary = (RNG.uniform(size=(B, C)) > 0.5).astype(np.float32)
    return {
        "sparse_categorical_crossentropy": (
            losses.SparseCategoricalCrossentropy,
            LABELS,
            PROBS,
            ref_cce(onehot, PROBS),
        ),
        "categorical_crossentropy": (
            losses.CategoricalCrossentropy,
            onehot,
            PROBS,
            ref_cce(onehot, PROBS),
        ),
        "binary_crossentropy": (losses.BinaryCrossentropy, binary, PROBS, ref_bce(binary, PROBS)),
        "mean_squared_error": (
            losses.MeanSquaredError,
            Y_REG,
            P_REG,
            ((Y_REG - P_REG) ** 2).mean(-1),
        ),
        "mean_absolute_error": (
            losses.MeanAbsoluteError,
            Y_REG,
            P_REG,
            np.abs(Y_REG - P_REG).mean(-1),
        ),
        "huber": (losses.Huber, Y_REG, P_REG, ref_huber(Y_REG, P_REG)),
    }[name]


NAMES = [
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "huber",
]
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None, "none"]


# -- loss objects, eagerly -------------------------------------------------------------------
def test_sparse_categorical_crossentropy_object_is_callable():
    """The example of Keras' docstring: 1.177, 0.814 with weights, 2.354 summed, per sample."""
    y_true, y_pred = np.array([1, 2]), np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    loss = losses.SparseCategoricalCrossentropy()
    assert float(loss(y_true, y_pred)) == pytest.approx(1.1769392, rel=1e-5)
    sw = np.array([0.3, 0.7])
    assert float(loss(y_true, y_pred, sample_weight=sw)) == pytest.approx(0.8135988, rel=1e-5)
    summed = losses.SparseCategoricalCrossentropy(reduction="sum")(y_true, y_pred)
    assert float(summed) == pytest.approx(2.3538785, rel=1e-5)
    values = losses.SparseCategoricalCrossentropy(reduction=None)(y_true, y_pred)
    np.testing.assert_allclose(values, [0.0512933, 2.3025851], rtol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", NAMES)
def test_loss_objects_match_numpy(name, reduction):
    cls, y_true, y_pred, values = per_sample(name)
    loss = cls(reduction=reduction)
    for sw in (None, SW):
        got = loss(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(got, reduce(values, sw, reduction), **TOL)
    np.testing.assert_allclose(loss.call(y_true, y_pred), values, **TOL)


@pytest.mark.parametrize("cls", [losses.SparseCategoricalCrossentropy, losses.BinaryCrossentropy])
def test_from_logits(cls):
    if cls is losses.SparseCategoricalCrossentropy:
        y_true, want = LABELS, ref_cce(np.eye(C)[LABELS], LOGITS, from_logits=True)
    else:
        y_true = (LOGITS > 0.3).astype(np.float32)
        want = ref_bce(y_true, LOGITS, from_logits=True)
    got = cls(from_logits=True, reduction="sum")(y_true, LOGITS)
    np.testing.assert_allclose(got, want.sum(), **TOL)


def test_label_smoothing():
    onehot = np.eye(C, dtype=np.float32)[LABELS]
    got = losses.CategoricalCrossentropy(label_smoothing=0.2)(onehot, PROBS)
    np.testing.assert_allclose(got, ref_cce(onehot, PROBS, smoothing=0.2).mean(), **TOL)


def test_eager_inputs_may_be_lists_float64_and_column_labels():
    loss = losses.SparseCategoricalCrossentropy()
    want = float(loss(LABELS, PROBS))
    assert float(loss(LABELS[:, None].tolist(), PROBS.astype(np.float64))) == pytest.approx(want)
    assert float(loss(LABELS.astype(np.float32), PROBS)) == pytest.approx(want)


# -- ignore_class and mean_with_sample_weight ------------------------------------------------
IGNORED = np.array([1, 0, 3, 2, 2, 1, 2, 0])
IG_PROBS = RNG.dirichlet(np.ones(C), size=len(IGNORED)).astype(np.float32)
IG_SW = RNG.uniform(0.1, 2.0, size=len(IGNORED)).astype(np.float32)


def ref_ignored(reduction, sw):
    """Keras' masked reduction: ignored entries weigh 0 and the means count valid ones."""
    valid = IGNORED != 2
    values = np.where(valid, ref_cce(np.eye(C)[np.where(valid, IGNORED, 0)], IG_PROBS), 0.0)
    weight = valid.astype(np.float64) * (1.0 if sw is None else sw)
    if reduction in (None, "none"):
        return values * weight
    total = (values * weight).sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight":
        return total / weight.sum()
    return total / valid.sum()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ignore_class(reduction):
    loss = losses.SparseCategoricalCrossentropy(ignore_class=2, reduction=reduction)
    for sw in (None, IG_SW):
        np.testing.assert_allclose(
            loss(IGNORED, IG_PROBS, sample_weight=sw), ref_ignored(reduction, sw), **TOL
        )
    assert loss.spec()["ignore_class"] == 2
    assert loss.get_config()["ignore_class"] == 2
    assert "ignore_class" not in losses.SparseCategoricalCrossentropy().spec()


def test_ignore_class_per_element_labels():
    """Sequence labels (batch, steps): the mask and per-element weights are per element."""
    labels = RNG.integers(0, C, size=(3, 5))
    labels[0, :2] = labels[2, 4] = -1
    probs = RNG.dirichlet(np.ones(C), size=(3, 5)).astype(np.float32)
    sw = RNG.uniform(0.1, 2.0, size=(3, 5)).astype(np.float32)
    valid = labels != -1
    values = np.where(valid, ref_cce(np.eye(C)[np.where(valid, labels, 0)], probs), 0.0)
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    np.testing.assert_allclose(loss(labels, probs), values.sum() / valid.sum(), **TOL)
    got = loss(labels, probs, sample_weight=sw)
    np.testing.assert_allclose(got, (values * sw).sum() / valid.sum(), **TOL)


def test_bad_reduction():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


# -- functions -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_functions_return_per_sample_losses(name):
    _, y_true, y_pred, values = per_sample(name)
    fn = getattr(losses, name)
    np.testing.assert_allclose(fn(y_true, y_pred), values, **TOL)


def test_function_hyper_parameters():
    np.testing.assert_allclose(
        losses.huber(Y_REG, P_REG, delta=0.5), ref_huber(Y_REG, P_REG, 0.5), **TOL
    )
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True),
        ref_cce(np.eye(C)[LABELS], LOGITS, from_logits=True),
        **TOL,
    )
    valid = IGNORED != 2
    want = np.where(valid, ref_cce(np.eye(C)[np.where(valid, IGNORED, 0)], IG_PROBS), 0.0)
    got = losses.sparse_categorical_crossentropy(IGNORED, IG_PROBS, ignore_class=2)
    np.testing.assert_allclose(got, want, **TOL)
    onehot = np.eye(C, dtype=np.float32)[LABELS]
    got = losses.categorical_crossentropy(onehot, PROBS, label_smoothing=0.1)
    np.testing.assert_allclose(got, ref_cce(onehot, PROBS, smoothing=0.1), **TOL)


def test_aliases_and_get():
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.mae is losses.MAE is losses.mean_absolute_error
    for fn, cls in [
        (losses.mse, losses.MeanSquaredError),
        (losses.mae, losses.MeanAbsoluteError),
        (losses.huber, losses.Huber),
        (losses.binary_crossentropy, losses.BinaryCrossentropy),
        (losses.categorical_crossentropy, losses.CategoricalCrossentropy),
        (losses.sparse_categorical_crossentropy, losses.SparseCategoricalCrossentropy),
    ]:
        assert type(losses.get(fn)) is cls
        assert losses.get(fn).spec() == cls().spec()
    with pytest.raises(ValueError, match="Unknown loss"):
        losses.get(lambda y_true, y_pred: y_pred)


# -- compile with loss functions -------------------------------------------------------------
def _fit(loss, y, units, activation=None, **compile_kwargs):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation=activation)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss, **compile_kwargs)
    x = np.random.default_rng(0).normal(size=(len(y), 3)).astype(np.float32)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return history.history, model.get_weights()


@pytest.mark.parametrize(
    "fn, name, units, activation, y",
    [
        (losses.mse, "mse", 2, None, Y_REG[:, :2]),
        (losses.mean_absolute_error, "mae", 2, None, Y_REG[:, :2]),
        (losses.huber, "huber", 2, None, Y_REG[:, :2]),
        (losses.binary_crossentropy, "binary_crossentropy", 1, "sigmoid", LABELS[:, None] % 2),
        (
            losses.sparse_categorical_crossentropy,
            "sparse_categorical_crossentropy",
            4,
            "softmax",
            LABELS,
        ),
    ],
)
def test_compile_accepts_loss_functions(fn, name, units, activation, y):
    by_fn, weights_fn = _fit(fn, y, units, activation)
    by_name, weights_name = _fit(name, y, units, activation)
    np.testing.assert_allclose(by_fn["loss"], by_name["loss"], rtol=1e-6)
    for a, b in zip(weights_fn, weights_name):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_fit_with_ignore_class_and_mean_with_sample_weight():
    """The training loss is the eager loss of the predictions (before the epoch's updates)."""
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(C, activation="softmax")])
    x = RNG.normal(size=(len(IGNORED), 3)).astype(np.float32)
    for loss in (
        losses.SparseCategoricalCrossentropy(ignore_class=2),
        losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight"),
    ):
        model.compile(optimizer=keras.optimizers.SGD(0.0), loss=loss)
        want = loss(IGNORED, model.predict(x, verbose=0), sample_weight=IG_SW)
        history = model.fit(x, IGNORED, sample_weight=IG_SW, batch_size=len(x), verbose=0)
        np.testing.assert_allclose(history.history["loss"][0], want, rtol=1e-5)


# -- the Keras 3 loss families -----------------------------------------------------------------
@pytest.mark.parametrize(
    "name", [n for n in losses.__all__ if isinstance(getattr(losses, n), type) and n != "Loss"]
)
def test_loss_config_round_trip(name):
    cls = getattr(losses, name)
    loss = cls()
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is cls and again.get_config() == loss.get_config()


def test_functions_serialize_by_name():
    for fn in (losses.kl_divergence, losses.log_cosh, losses.tversky, losses.mape):
        assert losses.deserialize(losses.serialize(fn)) is fn
    assert losses.deserialize("kld") is losses.kl_divergence
    assert type(losses.deserialize("Poisson")) is losses.Poisson
    assert type(losses.get("KLD")) is losses.KLDivergence
    assert type(losses.get(losses.categorical_hinge)) is losses.CategoricalHinge


def test_new_loss_validation():
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="axis"):
        losses.CosineSimilarity(axis=True)
    with pytest.raises(ValueError, match="reduction"):
        losses.Hinge(reduction="avg")


def test_dice_reduces_whole_batch_by_default():
    y = np.array([[1.0, 0.0], [1.0, 1.0]])
    p = np.array([[0.8, 0.2], [0.6, 0.4]])
    want = 1 - 2 * (0.8 + 0.6 + 0.4) / (3 + 2 + 1e-7)
    assert float(losses.Dice()(y, p)) == pytest.approx(want, rel=1e-6)
    per_row = losses.Dice(axis=1, reduction=None)(y, p)
    np.testing.assert_allclose(per_row, [1 - 1.6 / 2.0, 1 - 2.0 / 3.0], rtol=1e-6)
