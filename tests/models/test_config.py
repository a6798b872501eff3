"""Model configs round-trip: same structure, same config, same numbers with copied weights."""

import json

import numpy as np

import kgraph as keras
from kgraph import layers


def _functional():
    inputs = keras.Input((8, 8, 3), name="img")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    shared = layers.Dense(4)
    y = layers.Add()([shared(x), shared(layers.ReLU()(x))])
    outputs = layers.Dense(2, activation="softmax")(layers.Flatten()(y))
    return keras.Model(inputs, outputs)


def _numpy_functional(x, weights):
    ck, cb, dk, db, ok, ob = weights
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
    h = np.maximum(np.einsum("nhwcij,ijcf->nhwf", windows, ck) + cb, 0)
    y = (h @ dk + db) + (np.maximum(h, 0) @ dk + db)
    logits = y.reshape(len(x), -1) @ ok + ob
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_functional_round_trip_with_shared_layer():
    model = _functional()
    config = model.get_config()
    json.dumps(config)  # plain data
    clone = keras.Model.from_config(config)
    assert isinstance(clone, keras.Functional)
    assert clone.get_config() == config
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype(np.float32)
    expected = _numpy_functional(x.astype(np.float64), model.get_weights())
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(clone.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_sequential_round_trip_with_nested_model():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            layers.Dense(3, activation="tanh"),
            keras.Sequential([layers.Dense(2)], name="head"),
        ]
    )
    clone = keras.Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    k1, b1, k2, b2 = model.get_weights()
    x = np.random.default_rng(1).random((5, 4)).astype(np.float32)
    expected = np.tanh(x @ k1 + b1) @ k2 + b2
    np.testing.assert_allclose(clone.predict(x), expected, rtol=1e-5, atol=1e-6)
