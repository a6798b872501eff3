"""Oracle: the same layers in real Keras (jax backend) with the same weights give the same
outputs, which proves the weight layouts and padding conventions are interchangeable."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]


def _compare(name, kwargs, input_shape, rtol=1e-5, atol=1e-5, seed=0):
    """Builds ``name`` in both libraries, copies kgraph's (randomised) weights into Keras."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape).astype(np.float32)
    inputs = kgraph.Input(input_shape[1:])
    ours = getattr(kgraph.layers, name)(**kwargs)
    model = kgraph.Model(inputs, ours(inputs))
    weights = []
    for w in ours.weights:
        low, high = (0.5, 1.5) if "variance" in w.name else (-1.0, 1.0)
        weights.append(rng.uniform(low, high, w.shape).astype(np.float32))
    ours.set_weights(weights)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(input_shape)
    assert [tuple(v.shape) for v in theirs.weights] == [w.shape for w in weights]
    theirs.set_weights(weights)
    expected = np.asarray(theirs(x, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=rtol, atol=atol)
    return ours, theirs


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        (dict(filters=4, kernel_size=3), (2, 7, 6, 3)),
        (dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 7, 6, 3)),
        (dict(filters=2, kernel_size=(2, 3), strides=(2, 1), padding="same"), (2, 6, 5, 2)),
        (dict(filters=3, kernel_size=3, dilation_rate=2, padding="same"), (2, 8, 7, 2)),
        (dict(filters=6, kernel_size=3, groups=2, padding="same", activation="relu"), (2, 5, 5, 4)),
    ],
)
def test_conv2d_matches_keras(kwargs, shape):
    ours, theirs = _compare("Conv2D", kwargs, shape)
    assert [w.path.split("/")[-1] for w in ours.weights] == [
        v.path.split("/")[-1] for v in theirs.weights
    ]


def test_conv1d_and_conv3d_match_keras():
    _compare("Conv1D", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 9, 2))
    _compare("Conv3D", dict(filters=2, kernel_size=2, padding="same"), (2, 3, 4, 5, 2))


@pytest.mark.parametrize("name", ["MaxPooling2D", "AveragePooling2D"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(pool_size=2),
        dict(pool_size=3, strides=2, padding="same"),
        dict(pool_size=(2, 3), strides=1, padding="same"),
    ],
)
def test_pooling_matches_keras(name, kwargs):
    _compare(name, kwargs, (2, 7, 6, 3))


@pytest.mark.parametrize("name", ["GlobalAveragePooling2D", "GlobalMaxPooling1D"])
def test_global_pooling_matches_keras(name):
    _compare(name, dict(), (2, 5, 4, 3) if name.endswith("2D") else (2, 5, 3))


@pytest.mark.parametrize(
    "kwargs, shape",
    [(dict(), (3, 5, 5, 4)), (dict(axis=1), (3, 4, 5)), (dict(center=False, epsilon=1e-5), (4, 6))],
)
def test_batch_normalization_matches_keras(kwargs, shape):
    ours, theirs = _compare("BatchNormalization", kwargs, shape)
    assert [w.path.split("/")[-1] for w in ours.weights] == [
        v.path.split("/")[-1] for v in theirs.weights
    ]
    assert [w.trainable for w in ours.weights] == [v.trainable for v in theirs.weights]


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_flatten_dense_head_matches_keras():
    """Weights of a Keras CNN head load into kgraph unchanged (Flatten order is NHWC)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    build = lambda lib: lib.Sequential(
        [lib.Input((4, 4, 3)), lib.layers.Conv2D(2, 3), lib.layers.Flatten(), lib.layers.Dense(5)]
    )
    theirs, ours = build(keras), build(kgraph)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("ReLU", dict(max_value=1.0, negative_slope=0.1, threshold=0.2)),
        ("LeakyReLU", dict()),
        ("ELU", dict(alpha=0.5)),
        ("Softmax", dict(axis=(1, 2))),
    ],
)
def test_activation_layers_match_keras(name, kwargs):
    _compare(name, kwargs, (2, 3, 4))


def test_configs_load_in_keras():
    """Our configs are accepted by Keras' from_config for the same class."""
    for layer in [
        kgraph.layers.Conv2D(4, 3, strides=2, padding="same"),
        kgraph.layers.MaxPooling2D(3),
        kgraph.layers.BatchNormalization(axis=1),
        kgraph.layers.Dropout(0.2),
        kgraph.layers.Reshape((2, -1)),
        kgraph.layers.Concatenate(axis=1),
        kgraph.layers.ReLU(max_value=6.0),
    ]:
        config = {k: v for k, v in layer.get_config().items() if k != "dtype"}
        clone = getattr(keras.layers, type(layer).__name__).from_config(config)
        assert clone.name == layer.name
