"""Variables assigned inside a traced call (BatchNormalization's moving statistics) are state of
the training step: updated every step, read by evaluation, written back to the model."""

import numpy as np

import kgraph as keras
from kgraph import layers


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    x = layers.Dense(8)(inputs)
    x = layers.BatchNormalization(momentum=0.9)(x)
    return keras.Model(inputs, layers.Dense(1)(x))


def test_moving_statistics_follow_numpy_over_steps():
    model = _model()
    model.compile(keras.optimizers.SGD(0.0), "mse")  # lr 0: only the moving stats change
    rng = np.random.default_rng(0)
    x = (rng.random((64, 6)) * 3 + 1).astype(np.float32)
    y = x.sum(1, keepdims=True)
    kernel, bias = model.layers[1].get_weights()
    bn = model.layers[2]
    mean, var = np.zeros(8), np.ones(8)
    h = x.astype(np.float64) @ kernel + bias
    for start in range(0, 64, 16):
        batch = h[start : start + 16]
        mean = 0.9 * mean + 0.1 * batch.mean(0)
        var = 0.9 * var + 0.1 * batch.var(0)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    gamma, beta, _, _ = bn.get_weights()
    w2, b2 = model.layers[3].get_weights()
    expected = ((h - mean) / np.sqrt(var + 1e-3) * gamma + beta) @ w2 + b2
    np.testing.assert_allclose(
        model.evaluate(x, y, verbose=0), np.mean((expected - y) ** 2), rtol=1e-4
    )


def test_frozen_batch_norm_keeps_its_statistics():
    model = _model()
    model.layers[2].trainable = False
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.layers[2].get_weights()]
    x = np.random.default_rng(1).random((32, 6)).astype(np.float32)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    for a, b in zip(before, model.layers[2].get_weights()):
        np.testing.assert_array_equal(a, b)
