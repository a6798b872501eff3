"""Oracle: a ``.keras`` file written by real Keras 3 for each layer kgraph has loads in kgraph
and predicts what Keras predicts; kgraph's file of the same model loads back in Keras."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

# (layer, constructor arguments, input shape without the batch axis)
CASES = [
    ("Dense", dict(units=3, activation="relu", kernel_regularizer="l2"), (4,)),
    ("EinsumDense", dict(equation="ab,bc->ac", output_shape=3, bias_axes="c"), (4,)),
    ("Conv1D", dict(filters=2, kernel_size=3, padding="causal"), (7, 3)),
    ("Conv2D", dict(filters=3, kernel_size=3, strides=2, kernel_constraint="max_norm"), (7, 6, 2)),
    ("Conv3D", dict(filters=2, kernel_size=2), (4, 4, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (4, 3, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2), (6, 5, 2)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3, padding="same"), (6, 5, 2)),
    ("MaxPooling2D", dict(pool_size=2), (6, 6, 2)),
    ("AveragePooling1D", dict(pool_size=2, padding="same"), (5, 2)),
    ("GlobalAveragePooling2D", dict(), (4, 5, 3)),
    ("GlobalMaxPooling1D", dict(keepdims=True), (5, 3)),
    ("BatchNormalization", dict(momentum=0.9, epsilon=1e-3), (5, 3)),
    ("LayerNormalization", dict(), (4, 3)),
    ("GroupNormalization", dict(groups=2), (5, 4)),
    ("UnitNormalization", dict(), (4,)),
    ("RMSNormalization", dict(), (4, 3)),
    ("Flatten", dict(), (3, 2, 2)),
    ("Reshape", dict(target_shape=(2, 6)), (3, 4)),
    ("Permute", dict(dims=(2, 1)), (3, 4)),
    ("RepeatVector", dict(n=3), (4,)),
    ("ZeroPadding2D", dict(padding=((1, 2), (0, 1))), (3, 3, 2)),
    ("Cropping1D", dict(cropping=(1, 2)), (6, 3)),
    ("UpSampling2D", dict(size=(2, 3)), (3, 2, 2)),
    ("Activation", dict(activation="gelu"), (4,)),
    ("ReLU", dict(max_value=1.0, negative_slope=0.1), (4,)),
    ("LeakyReLU", dict(negative_slope=0.2), (4,)),
    ("PReLU", dict(), (4,)),
    ("ELU", dict(alpha=0.5), (4,)),
    ("Softmax", dict(axis=-1), (4,)),
    ("Dropout", dict(rate=0.5), (4,)),
    ("SpatialDropout1D", dict(rate=0.3), (4, 3)),
    ("GaussianNoise", dict(stddev=0.1), (4,)),
    ("Rescaling", dict(scale=1 / 255, offset=-0.5), (4, 4, 3)),
    ("Identity", dict(), (4,)),
]

#: kgraph configs of these layers hold keys Keras' constructors do not take (reported to the
#: layers' owners), so only the Keras -> kgraph direction is checked for them.
KGRAPH_CONFIG_DIFFERS = {
    "SpatialDropout1D": "config has 'trainable'",
    "AutoContrast": "config has 'seed'",
}


def _weights_for(model, rng):
    return [
        rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
        if "variance" in w.path
        else rng.uniform(-1, 1, w.shape).astype(np.float32)
        for w in model.weights
    ]


@pytest.mark.parametrize("name, kwargs, shape", CASES, ids=[c[0] for c in CASES])
def test_keras_layer_file_round_trips(tmp_path, name, kwargs, shape):
    rng = np.random.default_rng(0)
    inputs = keras.Input(shape)
    theirs = keras.Model(inputs, getattr(keras.layers, name)(**kwargs)(inputs))
    theirs.set_weights(_weights_for(theirs, rng))
    x = rng.normal(size=(2, *shape)).astype(np.float32)
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    assert type(ours.layers[1]).__name__ == name
    expected = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    if name in KGRAPH_CONFIG_DIFFERS:
        return
    ours.save(tmp_path / "g.keras")
    back = keras.models.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(
        np.asarray(back.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-5
    )


def _adapted_normalization():
    layer = keras.layers.Normalization()
    layer.adapt(np.arange(12, dtype=np.float32).reshape(3, 4) ** 1.5)
    return layer


_RNG = np.random.default_rng(7)
_IMAGES = _RNG.uniform(0, 255, size=(2, 8, 8, 3)).astype(np.float32)
_TOKENS = _RNG.integers(0, 6, size=(3, 4)).astype(np.int32)
PREPROCESSING = [
    ("Normalization", _adapted_normalization, _RNG.normal(size=(3, 4)).astype(np.float32)),
    ("Embedding", lambda: keras.layers.Embedding(6, 3), _TOKENS),
    ("CategoryEncoding", lambda: keras.layers.CategoryEncoding(6, output_mode="count"), _TOKENS),
    ("Discretization", lambda: keras.layers.Discretization(bin_boundaries=[-0.5, 0.5]), _IMAGES),
    ("Resizing", lambda: keras.layers.Resizing(4, 5), _IMAGES),
    ("CenterCrop", lambda: keras.layers.CenterCrop(4, 4), _IMAGES),
    ("RandomFlip", lambda: keras.layers.RandomFlip("horizontal"), _IMAGES),
    ("RandomRotation", lambda: keras.layers.RandomRotation(0.1), _IMAGES),
    ("Solarization", lambda: keras.layers.Solarization(0.5, value_range=(0, 255)), _IMAGES),
    ("AutoContrast", lambda: keras.layers.AutoContrast(value_range=(0, 255)), _IMAGES),
]


@pytest.mark.parametrize("name, make, x", PREPROCESSING, ids=[c[0] for c in PREPROCESSING])
def test_keras_preprocessing_files_load(tmp_path, name, make, x):
    """State (adapted statistics, embeddings) travels in the file; random augmentation layers
    predict in inference mode, as in Keras (the training flag Keras records is not kept)."""
    inputs = keras.Input(x.shape[1:], dtype=str(x.dtype))
    theirs = keras.Model(inputs, make()(inputs))  # own state: adapted or initialised
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    assert type(ours.layers[1]).__name__ == name
    expected = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    if name in KGRAPH_CONFIG_DIFFERS:
        return
    ours.save(tmp_path / "g.keras")
    back = keras.models.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(
        np.asarray(back.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "name", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate"]
)
def test_keras_merge_layer_files_load(tmp_path, name):
    a, b = keras.Input((3,)), keras.Input((3,))
    theirs = keras.Model([a, b], getattr(keras.layers, name)()([a, keras.layers.Dense(3)(b)]))
    rng = np.random.default_rng(1)
    theirs.set_weights(_weights_for(theirs, rng))
    xs = [rng.normal(size=(2, 3)).astype(np.float32) for _ in range(2)]
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    expected = np.asarray(theirs.predict(xs, verbose=0))
    np.testing.assert_allclose(ours.predict(xs, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_wrapper_and_nested_layer_paths(tmp_path):
    """TimeDistributed holds its layer in an attribute: its weights sit under
    ``layers/time_distributed/layer``, in both libraries."""
    inputs = keras.Input((3, 4))
    theirs = keras.Model(inputs, keras.layers.TimeDistributed(keras.layers.Dense(2))(inputs))
    rng = np.random.default_rng(2)
    theirs.set_weights(_weights_for(theirs, rng))
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    expected = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    ours.save(tmp_path / "g.keras")
    back = keras.models.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(
        np.asarray(back.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-5
    )


def test_lambda_layer_needs_safe_mode_off(tmp_path):
    inputs = keras.Input((3,))
    theirs = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2.0 + 1.0)(inputs))
    theirs.save(tmp_path / "k.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        kgraph.models.load_model(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras", safe_mode=False)
    x = np.array([[1.0, -1.0, 0.5]], np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), x * 2.0 + 1.0, rtol=1e-6)
