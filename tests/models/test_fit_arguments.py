"""``fit`` arguments against numpy written here: class weights with a validation split weigh
the training part only, invalid batch sizes fail clearly, and ``validation_data`` given as a
short list of ``(x, y[, sample_weight])`` batches is read as batches, not as one pair."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

TOL = {"rtol": 1e-5, "atol": 1e-6}
RNG = np.random.default_rng(3)
X = RNG.normal(size=(16, 4)).astype(np.float32)
LABELS = RNG.integers(0, 3, 16)
Y = RNG.normal(size=(16, 2)).astype(np.float32)


def classifier():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    return model


def regressor():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    return model


def crossentropy(model, x, labels):
    probs = model.predict(x, verbose=0)
    return -np.log(probs[np.arange(len(x)), labels])


def test_class_weight_with_validation_split_weighs_the_training_part_only():
    class_weight = {0: 4.0, 1: 0.25, 2: 1.0}
    model = classifier()
    train_x, train_y, val_x, val_y = X[:12], LABELS[:12], X[12:], LABELS[12:]
    weights = np.array([class_weight[c] for c in train_y], np.float32)
    train_loss = (crossentropy(model, train_x, train_y) * weights).mean()
    history = model.fit(
        X,
        LABELS,
        batch_size=12,
        epochs=1,
        verbose=0,
        shuffle=False,
        validation_split=0.25,
        class_weight=class_weight,
    )
    np.testing.assert_allclose(history.history["loss"], [train_loss], **TOL)
    val_ce = crossentropy(model, val_x, val_y)
    np.testing.assert_allclose(history.history["val_loss"], [val_ce.mean()], **TOL)
    val_weights = np.array([class_weight[c] for c in val_y], np.float32)
    assert not np.isclose(val_ce.mean(), (val_ce * val_weights).mean(), rtol=1e-3)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "8"])
@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_invalid_batch_size_is_a_clear_error(method, batch_size):
    model = regressor()
    before = model.get_weights()
    with pytest.raises(ValueError, match=rf"Received: batch_size={batch_size!r}") as info:
        getattr(model, method)(X, Y, batch_size=batch_size, verbose=0)
    assert "positive integer" in str(info.value) and "\n" not in str(info.value)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    assert model.optimizer.iterations == 0


def test_invalid_validation_batch_size_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Received: validation_batch_size=0"):
        regressor().fit(X, Y, validation_data=(X, Y), validation_batch_size=0, verbose=0)


def test_numpy_integer_batch_size_is_accepted():
    history = regressor().fit(X, Y, batch_size=np.int64(4), verbose=0)
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_validation_data_as_a_short_list_of_batches(count, weighted):
    model = regressor()
    sizes = [5, 4, 3][:count]
    cuts = np.cumsum([0, *sizes])
    parts = [slice(a, b) for a, b in itertools.pairwise(cuts)]
    sw = RNG.uniform(0.5, 2.0, 16).astype(np.float32)
    batches = [
        (X[p], Y[p], sw[p]) if weighted else (X[p], Y[p])
        for p in parts  # a list of 2 or 3 tuples: not (x, y) nor (x, y, sample_weight)
    ]
    history = model.fit(X, Y, batch_size=16, epochs=1, verbose=0, validation_data=batches)
    pred = model.predict(X[: cuts[-1]], verbose=0)
    per_sample = ((pred - Y[: cuts[-1]]) ** 2).mean(-1)
    if weighted:
        per_sample = per_sample * sw[: cuts[-1]]
    # Keras averages each batch's loss (sum / batch size) weighted by the batch size.
    np.testing.assert_allclose(history.history["val_loss"], [per_sample.mean()], **TOL)
    assert model.evaluate(batches, verbose=0) == pytest.approx(per_sample.mean(), rel=1e-5)


def two_in_two_out():
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    merged = layers.Concatenate(name="cat")([a, b])
    model = keras.Model([a, b], [layers.Dense(2, name="p")(merged), layers.Dense(1, name="q")(a)])
    model.compile("sgd", ["mse", "mse"])
    return model


def test_validation_pairs_for_several_inputs_and_outputs_stay_pairs():
    """``((xa, xb), (y1, y2))`` is one (x, y) pair for a model with two inputs and outputs."""
    model = two_in_two_out()
    xa, xb, y1, y2 = X[:, :2], X[:, 2:], Y, Y[:, :1]
    history = model.fit([xa, xb], [y1, y2], verbose=0, validation_data=((xa, xb), (y1, y2)))
    p, q = model.predict([xa, xb], verbose=0)
    want = ((p - y1) ** 2).mean() + ((q - y2) ** 2).mean()
    np.testing.assert_allclose(history.history["val_loss"], [want], **TOL)
    batches = [((xa[:9], xb[:9]), (y1[:9], y2[:9])), ((xa[9:], xb[9:]), (y1[9:], y2[9:]))]
    history = model.fit([xa, xb], [y1, y2], verbose=0, validation_data=batches)
    p, q = model.predict([xa, xb], verbose=0)
    first = ((p[:9] - y1[:9]) ** 2).mean() + ((q[:9] - y2[:9]) ** 2).mean()
    second = ((p[9:] - y1[9:]) ** 2).mean() + ((q[9:] - y2[9:]) ** 2).mean()
    np.testing.assert_allclose(history.history["val_loss"], [(9 * first + 7 * second) / 16], **TOL)
