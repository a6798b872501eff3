"""kgraph.wrappers: scikit-learn estimators around kgraph models, checked against numpy
references (a regressor that learns y = 2x, a classifier whose labels are the argmax of its
probabilities) and scikit-learn's own estimator checks where they are cheap."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

import kgraph as keras
from kgraph.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer


def linear_model(X, y, learning_rate=0.2, kernel_initializer="glorot_uniform"):
    inputs = keras.Input(shape=(X.shape[1],))
    outputs = keras.layers.Dense(1, kernel_initializer=kernel_initializer)(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.SGD(learning_rate), "mse")
    return model


def softmax_model(X, y, hidden=0):
    inputs = keras.Input(shape=(X.shape[1],))
    x = keras.layers.Dense(hidden, activation="relu")(inputs) if hidden else inputs
    outputs = keras.layers.Dense(y.shape[1], activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.1), "categorical_crossentropy")
    return model


def three_blobs(n=90):
    rng = np.random.default_rng(0)
    centers = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    index = np.arange(n) % 3
    X = centers[index] + rng.normal(scale=0.3, size=(n, 2))
    return X, np.array(["cat", "dog", "emu"])[index]


def test_regressor_learns_y_equals_2x():
    X = np.linspace(-1, 1, 64).reshape(-1, 1)
    y = 2 * X[:, 0]
    estimator = SKLearnRegressor(
        linear_model, model_kwargs={"learning_rate": 0.3}, fit_kwargs={"epochs": 40, "verbose": 0}
    )
    assert estimator.fit(X, y) is estimator
    predicted = estimator.predict(np.array([[0.5], [-0.25]]))
    assert predicted.shape == (2,)  # 1-D targets come back 1-D
    np.testing.assert_allclose(predicted, [1.0, -0.5], atol=2e-3)
    assert estimator.score(X, y) > 0.9999
    assert estimator.n_features_in_ == 1
    assert estimator.epoch_ == 40
    kernel = estimator.model_.layers[-1].get_weights()[0]
    np.testing.assert_allclose(kernel, [[2.0]], atol=2e-3)


def test_regressor_refuses_2d_targets_as_keras():
    """Keras' wrapper validates ``y`` as one column (scikit-learn's default), so do we."""
    X = np.linspace(-1, 1, 8).reshape(-1, 1)
    with pytest.raises(ValueError, match="y should be a 1d array"):
        SKLearnRegressor(linear_model).fit(X, np.concatenate([X, X], axis=1))


def test_classifier_labels_are_argmax_of_probabilities():
    X, labels = three_blobs()
    estimator = SKLearnClassifier(softmax_model, fit_kwargs={"epochs": 20, "verbose": 0})
    estimator.fit(X, labels)
    np.testing.assert_array_equal(estimator.classes_, ["cat", "dog", "emu"])
    probabilities = estimator.predict_proba(X)
    assert probabilities.shape == (90, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    expected = estimator.classes_[np.argmax(probabilities, axis=1)]
    np.testing.assert_array_equal(estimator.predict(X), expected)
    np.testing.assert_array_equal(estimator.decision_function(X), probabilities)
    assert estimator.score(X, labels) == np.mean(expected == labels)
    assert estimator.score(X, labels) > 0.95


def test_model_instance_is_cloned_and_left_untouched():
    X, labels = three_blobs(60)
    binary = (labels == "cat").astype(int)
    template = softmax_model(X, np.zeros((1, 2)))
    before = [w.copy() for w in template.get_weights()]
    estimator = SKLearnClassifier(template, fit_kwargs={"epochs": 15, "verbose": 0})
    estimator.fit(X, binary)
    assert estimator.model_ is not template
    for old, new in zip(before, template.get_weights()):
        np.testing.assert_array_equal(old, new)
    np.testing.assert_array_equal(estimator.classes_, [0, 1])
    assert estimator.score(X, binary) > 0.95


def test_warm_start_keeps_training_the_same_model():
    X = np.linspace(-1, 1, 32).reshape(-1, 1)
    y = 2 * X[:, 0]
    estimator = SKLearnRegressor(linear_model, warm_start=True, fit_kwargs={"verbose": 0})
    first = estimator.fit(X, y, epochs=2).model_
    loss_after_first = estimator.history_.history["loss"][-1]
    assert estimator.fit(X, y, epochs=2).model_ is first
    assert estimator.history_.history["loss"][0] < loss_after_first * 1.01
    cold = SKLearnRegressor(linear_model, fit_kwargs={"verbose": 0})
    assert cold.fit(X, y, epochs=1).model_ is not cold.fit(X, y, epochs=1).model_


def test_transformer_returns_model_outputs_in_a_pipeline():
    X = np.arange(12.0).reshape(6, 2)

    def embedding(X, y):
        inputs = keras.Input(shape=(2,))
        embedded = keras.layers.Dense(3, use_bias=False)(inputs)
        model = keras.Model(inputs, keras.layers.Dense(1)(embedded))
        model.compile("sgd", "mse")
        return model

    transformer = SKLearnTransformer(embedding, fit_kwargs={"epochs": 1, "verbose": 0})
    transformer.fit(X, np.zeros(6))
    kernel, bias = transformer.model_.layers[-1].get_weights()
    hidden = X @ transformer.model_.layers[-2].get_weights()[0]
    np.testing.assert_allclose(transformer.transform(X), hidden @ kernel + bias, rtol=1e-5)
    y = X @ [1.0, -2.0]
    pipeline = make_pipeline(clone(transformer), LinearRegression()).fit(X, y)
    features = pipeline[0].transform(X)
    expected = LinearRegression().fit(features, y).predict(features[:2])
    np.testing.assert_allclose(pipeline.predict(X[:2]), expected, rtol=1e-6)


def test_params_clone_and_fit_kwargs_not_mutated():
    fit_kwargs = {"epochs": 1, "verbose": 0}
    estimator = SKLearnRegressor(
        linear_model, model_kwargs={"learning_rate": 0.1}, fit_kwargs=fit_kwargs
    )
    assert estimator.get_params() == {
        "model": linear_model,
        "warm_start": False,
        "model_kwargs": {"learning_rate": 0.1},
        "fit_kwargs": fit_kwargs,
    }
    estimator.set_params(model_kwargs={"learning_rate": 0.5})
    assert estimator.model_kwargs == {"learning_rate": 0.5}
    X = np.linspace(-1, 1, 8).reshape(-1, 1)
    estimator.fit(X, X[:, 0], batch_size=4)
    assert fit_kwargs == {"epochs": 1, "verbose": 0}
    copy = clone(estimator)
    assert not hasattr(copy, "model_")
    assert copy.get_params() == estimator.get_params()


@pytest.mark.parametrize(
    "check",
    [
        estimator_checks.check_no_attributes_set_in_init,
        estimator_checks.check_get_params_invariance,
        estimator_checks.check_set_params,
        estimator_checks.check_estimators_unfitted,
    ],
)
@pytest.mark.parametrize("cls", [SKLearnRegressor, SKLearnClassifier])
def test_sklearn_estimator_checks(cls, check):
    build = linear_model if cls is SKLearnRegressor else softmax_model
    check(cls.__name__, cls(build, fit_kwargs={"epochs": 1, "verbose": 0}))


def test_errors():
    X = np.linspace(-1, 1, 8).reshape(-1, 1)
    with pytest.raises(NotFittedError):
        SKLearnRegressor(linear_model).predict(X)

    def uncompiled(X, y):
        inputs = keras.Input(shape=(1,))
        return keras.Model(inputs, keras.layers.Dense(1)(inputs))

    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnRegressor(uncompiled).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="only one class"):
        SKLearnClassifier(softmax_model).fit(X, np.zeros(8, int))
    with pytest.raises(ValueError, match="Only binary and multiclass"):
        SKLearnClassifier(softmax_model).fit(X, X[:, 0] + 0.5)
    fitted = SKLearnRegressor(linear_model, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="features"):
        fitted.predict(np.zeros((2, 3)))


def test_grid_search_over_model_kwargs():
    from sklearn.model_selection import GridSearchCV

    X = np.linspace(-1, 1, 32).reshape(-1, 1)
    y = 2 * X[:, 0]
    search = GridSearchCV(
        SKLearnRegressor(linear_model, fit_kwargs={"epochs": 40, "verbose": 0}),
        {
            "model_kwargs": [
                {"learning_rate": 0.0, "kernel_initializer": "zeros"},
                {"learning_rate": 0.3, "kernel_initializer": "zeros"},
            ]
        },
        cv=2,
    )
    search.fit(X, y)
    # a zero learning rate cannot fit y = 2x; the search must pick the one that learns
    assert search.best_params_["model_kwargs"]["learning_rate"] == 0.3
    np.testing.assert_allclose(search.predict([[0.25]]), [0.5], atol=1e-2)
