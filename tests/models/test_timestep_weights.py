"""Per-timestep (per-element) ``sample_weight``: losses and weighted metrics against numpy.

A Dense softmax over each timestep of a ``(batch, time, features)`` input gives a
``(batch, time, classes)`` output; with weights of shape ``(batch, time)`` Keras multiplies each
element's loss by its weight and divides the sum by the number of elements
("sum_over_batch_size"), and a weighted mean metric is ``sum(w * value) / sum(w)``.
"""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras

N, T, F, C = 12, 5, 3, 4


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, T, F)).astype("float32")
    tags = rng.integers(0, C, size=(N, T))
    weights = (rng.uniform(size=(N, T)) > 0.3).astype("float32") * rng.uniform(0.5, 2, (N, T))
    return x, tags, weights.astype("float32")


def _tagger(reduction="sum_over_batch_size"):
    model = keras.Sequential([keras.Input((T, F)), keras.layers.Dense(C, activation="softmax")])
    loss = keras.losses.SparseCategoricalCrossentropy(reduction=reduction)
    metrics = ["sparse_categorical_accuracy"]
    model.compile(keras.optimizers.SGD(0.1), loss, weighted_metrics=metrics)
    return model


def _reference(model, x, tags, weights):
    """Numpy loss and weighted accuracy of one full batch."""
    probs = model.predict(x, verbose=0)
    picked = np.take_along_axis(probs, tags[..., None], axis=-1)[..., 0]
    crossentropy = -np.log(np.clip(picked, 1e-7, 1.0))
    hits = (np.argmax(probs, axis=-1) == tags).astype("float32")
    loss = np.sum(weights * crossentropy) / crossentropy.size
    return loss, np.sum(weights * hits) / np.sum(weights), crossentropy


def test_evaluate_weighs_each_timestep():
    x, tags, weights = _data()
    model = _tagger()
    loss, accuracy, _ = _reference(model, x, tags, weights)
    scores = model.evaluate(x, tags, sample_weight=weights, batch_size=N, verbose=0)
    np.testing.assert_allclose(scores, [loss, accuracy], rtol=1e-5)
    flipped = tags.copy()  # labels under weight 0 do not count
    flipped[weights == 0] = (flipped[weights == 0] + 1) % C
    again = model.evaluate(x, flipped, sample_weight=weights, batch_size=N, verbose=0)
    np.testing.assert_allclose(again, scores, rtol=1e-6)


def test_fit_first_step_loss_is_the_weighted_loss():
    x, tags, weights = _data(1)
    model = _tagger()
    loss, accuracy, _ = _reference(model, x, tags, weights)
    history = model.fit(x, tags, sample_weight=weights, batch_size=N, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], loss, rtol=1e-5)
    np.testing.assert_allclose(history.history["sparse_categorical_accuracy"][0], accuracy, 1e-6)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_mean_with_sample_weight_divides_by_the_weights():
    x, tags, weights = _data(2)
    model = _tagger("mean_with_sample_weight")
    _, _, crossentropy = _reference(model, x, tags, weights)
    scores = model.evaluate(x, tags, sample_weight=weights, batch_size=N, verbose=0)
    np.testing.assert_allclose(scores[0], np.sum(weights * crossentropy) / np.sum(weights), 1e-5)


def test_dataset_of_weighted_batches_matches_arrays():
    x, tags, weights = _data(3)
    model = _tagger()
    batches = [(x[i : i + 4], tags[i : i + 4], weights[i : i + 4]) for i in range(0, N, 4)]
    from_data = model.evaluate(batches, verbose=0)
    losses = [_reference(model, *b)[0] for b in batches]  # Keras: the mean of batch losses
    np.testing.assert_allclose(from_data[0], np.mean(losses), rtol=1e-5)
    from_arrays = model.evaluate(x, tags, sample_weight=weights, batch_size=4, verbose=0)
    np.testing.assert_allclose(from_data, from_arrays, rtol=1e-6)


def test_fit_on_weighted_batches_builds_per_timestep_graphs():
    x, tags, weights = _data(6)
    model = _tagger()
    first = _reference(model, x, tags, weights)[0]
    history = model.fit([(x, tags, weights)], epochs=1, verbose=0)  # one step: the loss before
    np.testing.assert_allclose(history.history["loss"], [first], rtol=1e-5)


def _weight_shape(model, program):
    graph = getattr(model._trainer.programs(), program).model.graph
    found = next(v for v in graph.inputs if v.name == "sample_weight")
    return [d if isinstance(d, int) else None for d in found.shape]


def test_per_sample_weights_keep_their_graphs_then_per_timestep_ones_widen_them():
    x, tags, weights = _data(4)
    model = _tagger()
    per_sample = np.linspace(0.5, 1.5, N).astype("float32")
    before = model.evaluate(x, tags, sample_weight=per_sample, batch_size=N, verbose=0)
    assert _weight_shape(model, "step") == [None] and _weight_shape(model, "eval") == [None]
    model.evaluate(x, tags, sample_weight=weights, batch_size=N, verbose=0)
    assert _weight_shape(model, "step") == [None, None]
    assert _weight_shape(model, "eval") == [None, None]
    after = model.evaluate(x, tags, sample_weight=per_sample, batch_size=N, verbose=0)
    np.testing.assert_allclose(after, before, rtol=1e-5)  # fed as a column, same values
    loss, _, crossentropy = _reference(model, x, tags, per_sample[:, None])
    np.testing.assert_allclose(after[0], loss, rtol=1e-5)
    unweighted = model.evaluate(x, tags, batch_size=N, verbose=0)
    np.testing.assert_allclose(unweighted[0], crossentropy.mean(), rtol=1e-5)


def test_per_element_weights_on_a_regression():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(N, 3, F)).astype("float32")
    y = rng.normal(size=(N, 3, 1)).astype("float32")
    weights = rng.uniform(0, 2, size=(N, 3)).astype("float32")
    model = keras.Sequential([keras.Input((3, F)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", weighted_metrics=["mae"])
    pred = model.predict(x, verbose=0)
    scores = model.evaluate(x, y, sample_weight=weights, batch_size=N, verbose=0)
    errors = (pred - y)[..., 0]
    expected = [
        np.sum(weights * errors**2) / errors.size,
        np.sum(weights * abs(errors)) / weights.sum(),
    ]
    np.testing.assert_allclose(scores, expected, rtol=1e-5)


def test_weights_with_more_axes_than_the_loss_values_are_refused():
    model = keras.Sequential([keras.Input((F,)), keras.layers.Dense(3)])
    model.compile("sgd", "mse")
    x = np.zeros((4, F), "float32")
    with pytest.raises(ValueError, match=r"loss values have shape \(None,\)"):
        model.fit(x, np.zeros((4, 3), "float32"), sample_weight=np.ones((4, 3)), verbose=0)
