"""Oracle: kgraph's loss, metric and optimizer API against real Keras (JAX backend).

Loss objects called eagerly (every reduction, sample weights, ``from_logits``, ``ignore_class``,
``"mean_with_sample_weight"``), the loss and metric functions, metric objects used eagerly,
``compile`` with metric functions, ``Accuracy()`` and repeated names (the same History keys and
values), ``fit`` with ``ignore_class`` / ``mean_with_sample_weight`` losses, and
``optimizer.learning_rate.assign`` between fits all give what Keras gives.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

TOL = {"rtol": 2e-5, "atol": 1e-6}
RNG = np.random.default_rng(21)
B, C, T = 6, 4, 5
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]
CE = ("SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy")


def _data(class_name):
    labels = RNG.integers(0, C, size=B)
    probs = RNG.dirichlet(np.ones(C), size=B).astype(np.float32)
    logits = RNG.normal(size=(B, C)).astype(np.float32) * 3
    if class_name == "SparseCategoricalCrossentropy":
        return labels, probs, logits
    if class_name == "CategoricalCrossentropy":
        return np.eye(C, dtype=np.float32)[labels], probs, logits
    if class_name == "BinaryCrossentropy":
        return (RNG.uniform(size=(B, C)) > 0.5).astype(np.float32), probs, logits
    y = RNG.normal(size=(B, 3)).astype(np.float32)
    return y, y + RNG.normal(scale=1.5, size=(B, 3)).astype(np.float32), None


def _close(got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), **TOL)


# -- losses ------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("class_name", [*CE, "MeanSquaredError", "MeanAbsoluteError", "Huber"])
def test_loss_objects(class_name, reduction):
    y_true, probs, logits = _data(class_name)
    sw = RNG.uniform(0, 2, size=B).astype(np.float32)
    for from_logits in (False, True) if class_name in CE else (False,):
        kwargs = {"from_logits": from_logits} if class_name in CE else {}
        if class_name == "Huber":
            kwargs = {"delta": 0.7}
        y_pred = logits if from_logits else probs
        ours = getattr(kgraph.losses, class_name)(reduction=reduction, **kwargs)
        theirs = getattr(keras.losses, class_name)(reduction=reduction, **kwargs)
        for weight in (None, sw):
            _close(ours(y_true, y_pred, weight), theirs(y_true, y_pred, sample_weight=weight))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_shape", [(B,), (B, 1), (B, T)])
def test_sparse_crossentropy_ignore_class(label_shape, reduction):
    labels = RNG.integers(0, C, size=label_shape)
    labels.flat[::3] = 2
    probs = RNG.dirichlet(np.ones(C), size=(B, T) if label_shape == (B, T) else B)
    probs = probs.astype(np.float32)
    weights = [None, RNG.uniform(0, 2, size=label_shape[:1] if len(label_shape) == 1 else (B,))]
    if label_shape == (B, T):  # Keras takes per-element weights for per-element labels
        weights[1] = RNG.uniform(0, 2, size=(B, T))
    for from_logits in (False, True):
        y_pred = np.log(probs) if from_logits else probs
        kwargs = {"ignore_class": 2, "reduction": reduction, "from_logits": from_logits}
        ours = kgraph.losses.SparseCategoricalCrossentropy(**kwargs)
        theirs = keras.losses.SparseCategoricalCrossentropy(**kwargs)
        for weight in weights:
            _close(ours(labels, y_pred, weight), theirs(labels, y_pred, sample_weight=weight))


def test_loss_functions():
    labels, probs, logits = _data("SparseCategoricalCrossentropy")
    onehot = np.eye(C, dtype=np.float32)[labels]
    binary = (RNG.uniform(size=(B, C)) > 0.5).astype(np.float32)
    y, p, _ = _data("MeanSquaredError")
    ignored = np.where(labels == 1, -1, labels)
    cases = [
        ("sparse_categorical_crossentropy", (labels, probs), {}),
        ("sparse_categorical_crossentropy", (labels, logits), {"from_logits": True}),
        ("sparse_categorical_crossentropy", (ignored, probs), {"ignore_class": -1}),
        ("categorical_crossentropy", (onehot, probs), {"label_smoothing": 0.1}),
        ("categorical_crossentropy", (onehot, logits), {"from_logits": True}),
        ("binary_crossentropy", (binary, probs), {}),
        ("binary_crossentropy", (binary, logits), {"from_logits": True, "label_smoothing": 0.2}),
        ("mean_squared_error", (y, p), {}),
        ("mean_absolute_error", (y, p), {}),
        ("huber", (y, p), {"delta": 0.5}),
    ]
    for name, args, kwargs in cases:
        _close(
            getattr(kgraph.losses, name)(*args, **kwargs),
            getattr(keras.losses, name)(*args, **kwargs),
        )


# -- metrics -----------------------------------------------------------------------------------
def _metric_data():
    labels = RNG.integers(0, C, size=B)
    probs = RNG.dirichlet(np.ones(C), size=B).astype(np.float32)
    onehot = np.eye(C, dtype=np.float32)[labels]
    binary = (RNG.uniform(size=(B, 2)) > 0.5).astype(np.float32)
    scores = RNG.uniform(size=(B, 2)).astype(np.float32)
    y, p, _ = _data("MeanSquaredError")
    return {
        "sparse_categorical_accuracy": (labels[:, None], probs),
        "categorical_accuracy": (onehot, probs),
        "binary_accuracy": (binary, scores),
        "mean_absolute_error": (y, p),
        "mean_squared_error": (y, p),
    }


def test_metric_functions():
    for name, args in _metric_data().items():
        _close(getattr(kgraph.metrics, name)(*args), getattr(keras.metrics, name)(*args))
    binary, scores = _metric_data()["binary_accuracy"]
    _close(
        kgraph.metrics.binary_accuracy(binary, scores, threshold=0.7),
        keras.metrics.binary_accuracy(binary, scores, threshold=0.7),
    )


@pytest.mark.parametrize(
    "class_name",
    [
        "Accuracy",
        "SparseCategoricalAccuracy",
        "CategoricalAccuracy",
        "BinaryAccuracy",
        "MeanAbsoluteError",
        "MeanSquaredError",
    ],
)
def test_metric_objects(class_name):
    data = _metric_data()
    if class_name == "Accuracy":
        labels = RNG.integers(0, 3, size=(B, 1))
        batches = [(labels, np.where(RNG.uniform(size=(B, 1)) > 0.6, 0, labels))] * 2
    else:
        key = {"SparseCategoricalAccuracy": "sparse_categorical_accuracy"}.get(class_name)
        key = (
            key
            or {
                "CategoricalAccuracy": "categorical_accuracy",
                "BinaryAccuracy": "binary_accuracy",
                "MeanAbsoluteError": "mean_absolute_error",
                "MeanSquaredError": "mean_squared_error",
            }[class_name]
        )
        batches = [data[key], _metric_data()[key]]
    ours, theirs = getattr(kgraph.metrics, class_name)(), getattr(keras.metrics, class_name)()
    for (y_true, y_pred), weight in zip(batches, [None, RNG.uniform(0, 2, size=B)]):
        ours.update_state(y_true, y_pred, sample_weight=weight)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
        _close(ours.result(), theirs.result())
    assert ours.name == theirs.name


# -- compile and fit ---------------------------------------------------------------------------
def _pair(lib_units, activation, seed=0):
    ours = kgraph.Sequential(
        [kgraph.Input((3,)), kgraph.layers.Dense(lib_units, activation=activation)]
    )
    theirs = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(lib_units, activation=activation)]
    )
    rng = np.random.default_rng(seed)
    weights = [
        rng.normal(size=(3, lib_units)).astype(np.float32),
        rng.normal(size=lib_units).astype(np.float32) * 0.1,
    ]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


def test_compile_with_functions_accuracy_object_and_repeated_names():
    ours, theirs = _pair(1, "sigmoid")
    x = RNG.normal(size=(24, 3)).astype(np.float32)
    y = (RNG.uniform(size=(24, 1)) > 0.5).astype(np.float32)
    sw = RNG.uniform(0.2, 2, size=24).astype(np.float32)
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(
            optimizer=lib.optimizers.SGD(0.1),
            loss=lib.losses.binary_crossentropy,
            metrics=[
                lib.metrics.binary_accuracy,
                "mae",
                lib.metrics.MeanAbsoluteError(name="mae"),
                "accuracy",
                lib.metrics.Accuracy(),
                "mae",
            ],
            weighted_metrics=["mae", "mae", lib.metrics.mean_squared_error],
        )
    kwargs = {"batch_size": 8, "epochs": 2, "shuffle": False, "verbose": 0, "sample_weight": sw}
    got, want = ours.fit(x, y, **kwargs).history, theirs.fit(x, y, **kwargs).history
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ignore_class": 2},
        {"reduction": "mean_with_sample_weight"},
        {"ignore_class": 0, "reduction": "sum"},
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_sparse_crossentropy_options(kwargs, weighted):
    ours, theirs = _pair(C, "softmax", seed=1)
    x = RNG.normal(size=(16, 3)).astype(np.float32)
    y = RNG.integers(0, C, size=16)
    fit = {"batch_size": 8, "epochs": 2, "shuffle": False, "verbose": 0}
    if weighted:
        fit["sample_weight"] = RNG.uniform(0.2, 2, size=16).astype(np.float32)
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(
            optimizer=lib.optimizers.SGD(0.1),
            loss=lib.losses.SparseCategoricalCrossentropy(**kwargs),
        )
    got, want = ours.fit(x, y, **fit).history, theirs.fit(x, y, **fit).history
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- optimizers --------------------------------------------------------------------------------
def test_learning_rate_assign_between_fits():
    ours, theirs = _pair(2, None, seed=2)
    x, y = RNG.normal(size=(16, 3)).astype(np.float32), RNG.normal(size=(16, 2)).astype(np.float32)
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.Adam(0.05), loss=lib.losses.mean_squared_error)
        model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
        model.optimizer.learning_rate.assign(0.005)
        model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
        assert float(model.optimizer.learning_rate) == pytest.approx(0.005)
        assert np.asarray(model.optimizer.learning_rate).dtype == np.float32
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_clipping_arguments_conflict_like_keras():
    for kwargs in ({"clipnorm": 1.0, "clipvalue": 1.0}, {"clipvalue": 1.0, "global_clipnorm": 1.0}):
        with pytest.raises(ValueError) as want:
            keras.optimizers.SGD(**kwargs)
        with pytest.raises(ValueError) as got:
            kgraph.optimizers.SGD(**kwargs)
        assert str(got.value) == str(want.value)


def test_fit_with_ignore_class_on_sequence_outputs_matches_keras():
    """(batch, steps) labels with an ignored class: the (batch,) sample weights the step feeds
    broadcast over the mask."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 5, 4)).astype(np.float32)
    y = rng.integers(0, 3, (8, 5))
    y[0, :2] = 2

    def build(lib):
        inputs = lib.Input((5, 4))
        model = lib.Model(inputs, lib.layers.Dense(3)(inputs))
        loss = lib.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
        model.compile(lib.optimizers.SGD(0.1), loss)
        return model

    theirs, ours = build(keras), build(kgraph)
    ours.set_weights(theirs.get_weights())
    want = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    got = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for g, w in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-5, atol=1e-6)
