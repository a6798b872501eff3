"""Oracle: every Keras 3 loss kgraph builds, as an object (each reduction, with and without
sample weights) and as a function, against real Keras (JAX) on random data, and their gradients
through a compiled fit (see ``test_fit_new_losses``)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

TOL = {"rtol": 2e-5, "atol": 2e-6}
RNG = np.random.default_rng(7)
B, C = 6, 4


def _inputs(kind):
    """(y_true, y_pred) of the kind a loss expects."""
    probs = RNG.dirichlet(np.ones(C), size=B).astype(np.float32)
    onehot = np.eye(C, dtype=np.float32)[RNG.integers(0, C, size=B)]
    binary = (RNG.uniform(size=(B, C)) > 0.5).astype(np.float32)
    real = RNG.normal(size=(B, C)).astype(np.float32)
    return {
        "onehot": (onehot, probs),
        "binary": (binary, RNG.uniform(0.01, 0.99, size=(B, C)).astype(np.float32)),
        "logits": (binary, real * 3),
        "signed": (np.sign(real), RNG.normal(size=(B, C)).astype(np.float32)),
        "real": (real, real + RNG.normal(scale=1.5, size=(B, C)).astype(np.float32)),
        "positive": (np.abs(real) + 0.1, RNG.uniform(0.05, 3, size=(B, C)).astype(np.float32)),
        "sparse": (RNG.integers(0, C, size=B), probs),
        "soft": (probs, RNG.dirichlet(np.ones(C), size=B).astype(np.float32)),
        "mask": (binary, RNG.uniform(size=(B, C)).astype(np.float32)),
        "embed": (RNG.integers(0, 3, size=B), real / np.linalg.norm(real, axis=1, keepdims=True)),
    }[kind]


CASES = [  # class name, kwargs, input kind
    ("BinaryFocalCrossentropy", {}, "binary"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "gamma": 3.0}, "binary"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    ("CategoricalFocalCrossentropy", {}, "onehot"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5}, "onehot"),
    ("CategoricalFocalCrossentropy", {"label_smoothing": 0.2, "gamma": 1.0}, "onehot"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}, "sparse"),
    ("KLDivergence", {}, "soft"),
    ("Poisson", {}, "positive"),
    ("Hinge", {}, "binary"),
    ("Hinge", {}, "signed"),
    ("SquaredHinge", {}, "signed"),
    ("SquaredHinge", {}, "binary"),
    ("CategoricalHinge", {}, "onehot"),
    ("LogCosh", {}, "real"),
    ("CosineSimilarity", {}, "real"),
    ("CosineSimilarity", {"axis": 0}, "real"),
    ("MeanAbsolutePercentageError", {}, "real"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Dice", {}, "mask"),
    ("Dice", {"axis": 1}, "mask"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, "mask"),
    ("Tversky", {"axis": [1]}, "mask"),
    ("Circle", {}, "embed"),
    ("Circle", {"gamma": 5.0, "margin": 0.1, "remove_diagonal": False}, "embed"),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", None])
@pytest.mark.parametrize("class_name, kwargs, kind", CASES)
def test_loss_objects(class_name, kwargs, kind, reduction):
    y_true, y_pred = _inputs(kind)
    ours = getattr(kgraph.losses, class_name)(reduction=reduction, **kwargs)
    theirs = getattr(keras.losses, class_name)(reduction=reduction, **kwargs)
    if reduction is None:  # "sum" reduces the same values: checked on the unreduced ones
        sums = getattr(kgraph.losses, class_name)(reduction="sum", **kwargs)(y_true, y_pred)
        np.testing.assert_allclose(sums, np.sum(theirs(y_true, y_pred)), rtol=2e-5, atol=1e-5)
    per_batch = class_name in ("Dice", "Tversky") and "axis" not in kwargs  # one value
    weights = (
        [None]
        if per_batch or kwargs.get("axis") == 0
        else [None, RNG.uniform(0, 2, size=B).astype(np.float32)]
    )
    for sw in weights:
        want = theirs(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(ours(y_true, y_pred, sw), want, **TOL)
    assert ours.get_config() == {**theirs.get_config(), **ours.get_config()}


FUNCTIONS = [
    ("binary_focal_crossentropy", {"gamma": 1.5}, "binary"),
    ("categorical_focal_crossentropy", {}, "onehot"),
    ("kl_divergence", {}, "soft"),
    ("poisson", {}, "positive"),
    ("hinge", {}, "binary"),
    ("squared_hinge", {}, "signed"),
    ("categorical_hinge", {}, "onehot"),
    ("log_cosh", {}, "real"),
    ("cosine_similarity", {}, "real"),
    ("mean_absolute_percentage_error", {}, "real"),
    ("mean_squared_logarithmic_error", {}, "positive"),
    ("dice", {}, "mask"),
    ("tversky", {"alpha": 0.2, "beta": 0.8}, "mask"),
    ("circle", {"gamma": 20}, "embed"),
]


@pytest.mark.parametrize("name, kwargs, kind", FUNCTIONS)
def test_loss_functions(name, kwargs, kind):
    y_true, y_pred = _inputs(kind)
    want = getattr(keras.losses, name)(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(getattr(kgraph.losses, name)(y_true, y_pred, **kwargs), want, **TOL)


def _slow(*values):
    return pytest.param(*values, marks=pytest.mark.slow)


@pytest.mark.parametrize(
    "loss, head",
    [
        ("kl_divergence", "softmax"),
        _slow("categorical_hinge", None),
        _slow("log_cosh", None),
        ("binary_focal_crossentropy", "sigmoid"),
        _slow("categorical_focal_crossentropy", "softmax"),
        _slow("poisson", "softplus"),
        ("cosine_similarity", None),
        _slow("squared_hinge", "tanh"),
    ],
)
def test_fit_new_losses(loss, head):
    """Two epochs of SGD on a Dense model give Keras' weights: the gradients match too."""
    x = RNG.normal(size=(16, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, size=16)]
    kernel = RNG.normal(scale=0.5, size=(5, 3)).astype(np.float32)
    results = []
    for lib in (kgraph, keras):
        model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(3, activation=head)])
        model.layers[-1].set_weights([kernel, np.zeros(3, np.float32)])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=loss)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.layers[-1].get_weights()[0]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)


def _ctc_data(steps=7, classes=5, length=3):
    labels = RNG.integers(1, classes, size=(6, length))
    labels[::3, -1] = 0  # shorter sequences are 0-padded
    labels[1, 1] = labels[1, 0]  # a repeated label needs a blank between
    return labels, RNG.normal(size=(6, steps, classes)).astype(np.float32)


def test_ctc_values():
    labels, logits = _ctc_data()
    want = keras.losses.CTC()(labels, logits)
    np.testing.assert_allclose(kgraph.losses.CTC()(labels, logits), want, **TOL)
    np.testing.assert_allclose(
        kgraph.losses.ctc(labels, logits), keras.losses.ctc(labels, logits), **TOL
    )


@pytest.mark.parametrize("loss", ["ctc", "circle", _slow("gce")])
def test_fit_losses_with_integer_labels(loss):
    """Losses whose labels are not shaped like the output (integer ids) train as in Keras."""
    steps = 6
    if loss == "ctc":
        y, _ = _ctc_data(steps)
        x = RNG.normal(size=(6, steps, 4)).astype(np.float32)
        shape, units = (steps, 4), 5
    else:
        y = RNG.integers(0, 3, size=6)
        x = RNG.normal(size=(6, 4)).astype(np.float32)
        shape, units = (4,), 3
    kernel = RNG.normal(scale=0.5, size=(4, units)).astype(np.float32)
    results = []
    for lib in (kgraph, keras):
        head = "softmax" if loss == "gce" else None
        model = lib.Sequential([lib.Input(shape), lib.layers.Dense(units, activation=head)])
        if loss == "circle":
            model.add(lib.layers.UnitNormalization())
        model.layers[0].set_weights([kernel, np.zeros(units, np.float32)])
        objects = {
            "ctc": lib.losses.CTC(),
            "circle": lib.losses.Circle(gamma=8.0),
            "gce": lib.losses.CategoricalGeneralizedCrossEntropy(q=0.6),
        }
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=objects[loss])
        history = model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.layers[0].get_weights()[0]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-4, atol=1e-5)


def test_user_loss_built_from_loss_and_metric_functions():
    """A user loss composed of kgraph's loss (and metric) functions traces them into the step
    graph: values and weights after two epochs equal Keras'."""
    x = RNG.normal(size=(16, 5)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, size=16)]
    kernel = RNG.normal(size=(5, 3)).astype(np.float32)
    results = []
    for lib in (kgraph, keras):

        def my_loss(y_true, y_pred, lib=lib):
            hinge = lib.losses.categorical_hinge(y_true, y_pred)
            top = lib.metrics.top_k_categorical_accuracy(y_true, y_pred, k=2)
            return lib.losses.kl_divergence(y_true, y_pred) + 0.5 * hinge + top

        model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(3, activation="softmax")])
        model.layers[0].set_weights([kernel, np.zeros(3, np.float32)])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=my_loss)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.layers[0].get_weights()[0]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)
