"""``keras.Variable`` as Keras 3 builds and updates it, stateful custom layers whose variables
the training step updates, and ``Layer.add_loss`` terms entering the training loss."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers, ops

RNG = np.random.default_rng(11)
X = RNG.normal(size=(8, 3)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)


@pytest.mark.parametrize(
    "initial, kwargs, dtype, value",
    [
        (np.zeros(3), {}, "float32", np.zeros(3)),  # float64 converts as Keras' (JAX) does
        ([1, 2], {}, "int32", [1, 2]),
        (2.5, {}, "float32", 2.5),
        ("ones", {"shape": (2, 2)}, "float32", np.ones((2, 2))),
        ("zeros", {"shape": (3,), "dtype": "int32"}, "int32", np.zeros(3)),
        (np.ones(2), {"dtype": "float16"}, "float16", np.ones(2)),
    ],
)
def test_variable_constructor(initial, kwargs, dtype, value):
    variable = keras.Variable(initial, **kwargs)
    assert variable.dtype == dtype and variable.name == "variable"
    np.testing.assert_array_equal(variable.numpy(), value)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"initializer": "zeros"}, "the `shape` argument should be specified"),
        ({"initializer": 1.0, "name": "a/b"}, "cannot contain character `/`"),
        ({"initializer": np.zeros(2), "shape": (3,)}, r"does not match shape=\(3,\)"),
    ],
)
def test_variable_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keras.Variable(**kwargs)


def test_variable_updates_and_conversions():
    variable = keras.Variable(np.array([1.0, 2.0], np.float32), name="v", trainable=False)
    variable.assign_add([1.0, 1.0])
    variable.assign_sub(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(variable.numpy(), [1.5, 2.5])
    np.testing.assert_array_equal(np.asarray(variable * 2), [3.0, 5.0])
    assert not variable.trainable and variable.shape == (2,)
    counter = keras.Variable(3)
    assert int(counter) == 3 and float(counter.assign_add(2)) == 5.0
    with pytest.raises(ValueError, match="has shape"):
        variable.assign(np.zeros(3))


class CountingDense(layers.Layer):
    """A stateful layer: counts the training batches it has seen."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")
        self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, inputs, training=False):
        if training:
            self.seen.assign_add(1.0)
        return ops.matmul(inputs, self.kernel)


def test_a_variable_updated_in_call_counts_training_steps():
    layer = CountingDense()
    model = keras.Sequential([keras.Input(shape=(3,)), layer])
    model.compile("sgd", "mse")
    model.fit(X, Y, batch_size=2, epochs=2, verbose=0)
    assert float(layer.seen) == 8.0
    model.predict(X, verbose=0)
    model.evaluate(X, Y, verbose=0)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
    assert float(layer.seen) == 10.0


class Penalised(layers.Layer):
    """Adds ``rate * sum(outputs ** 2)`` to the loss, as a custom activity loss."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="glorot_uniform")

    def call(self, inputs):
        out = ops.matmul(inputs, self.kernel)
        self.add_loss(self.rate * ops.sum(ops.square(out)))
        return out


def test_add_loss_enters_the_training_and_evaluation_loss():
    layer = Penalised(0.01)
    model = keras.Sequential([keras.Input(shape=(3,)), layer])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    kernel = layer.kernel.numpy().astype(np.float64)
    out = X @ kernel
    want = ((out - Y) ** 2).mean() + 0.01 * (out**2).sum()
    np.testing.assert_allclose(model.evaluate(X, Y, batch_size=8, verbose=0), want, rtol=1e-5)
    loss = model.train_on_batch(X, Y)
    np.testing.assert_allclose(loss, want, rtol=1e-5)
    grad = X.T @ (2 * (out - Y) / out.size + 0.02 * out)
    np.testing.assert_allclose(layer.kernel.numpy(), kernel - 0.1 * grad, rtol=1e-5, atol=1e-7)


def test_add_loss_on_an_eager_call_is_listed_until_the_next_call():
    layer = Penalised(0.5)
    out = np.asarray(layer(X[:2]))
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * (out**2).sum(), rtol=1e-5)
    layer(X[:1])
    assert len(layer.losses) == 1
    np.testing.assert_allclose(
        float(layer.losses[0]), 0.5 * (np.asarray(layer(X[:1])) ** 2).sum(), rtol=1e-5
    )


def test_add_metric_is_gone_as_in_keras_3():
    with pytest.raises(NotImplementedError, match=r"add_metric\(\)` method is deprecated"):
        layers.Dense(2).add_metric(1.0)


class LogisticEndpoint(layers.Layer):
    """The training guide's endpoint layer: a Loss object called in ``call`` on the model's
    target and weight inputs, its value added with ``add_loss``."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        return ops.sigmoid(logits)


def test_a_loss_object_called_in_a_layer_while_the_model_is_built():
    inputs = keras.Input((3,), name="inputs")
    targets = keras.Input((4,), name="targets")
    weights = keras.Input((1,), name="sample_weights")
    dense = layers.Dense(4)
    model = keras.Model(
        [inputs, targets, weights], LogisticEndpoint()(targets, dense(inputs), weights)
    )
    model.compile(keras.optimizers.SGD(0.1))
    rng = np.random.default_rng(0)
    data = {
        "inputs": rng.normal(size=(6, 3)).astype(np.float32),
        "targets": rng.integers(0, 2, (6, 4)).astype(np.float32),
        "sample_weights": rng.uniform(size=(6, 1)).astype(np.float32),
    }
    kernel, bias = dense.get_weights()
    z = data["inputs"] @ kernel + bias
    t = data["targets"]
    per_sample = (np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))).mean(axis=1)
    expected = (per_sample * data["sample_weights"][:, 0]).sum() / 6
    np.testing.assert_allclose(model.evaluate(data, verbose=0), expected, rtol=1e-5)
    history = model.fit(data, epochs=3, verbose=0).history["loss"]
    assert history[0] == pytest.approx(expected, rel=1e-5) and history[2] < history[0]
