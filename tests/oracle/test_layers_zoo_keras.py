"""Oracle: the model-zoo layers against real Keras (jax backend) with the same weights: equal
outputs, equal weight names and shapes, so Keras weights load with set_weights."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]


def _compare(name, kwargs, input_shape, rtol=1e-5, atol=1e-5, seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        x = rng.integers(0, 5, input_shape).astype(dtype)
    else:
        x = rng.standard_normal(input_shape).astype(dtype)
    inputs = kgraph.Input(input_shape[1:], dtype=dtype)
    ours = getattr(kgraph.layers, name)(**kwargs)
    model = kgraph.Model(inputs, ours(inputs))
    weights = [rng.uniform(-1.0, 1.0, w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(input_shape)
    assert [tuple(v.shape) for v in theirs.weights] == [w.shape for w in weights]
    assert [v.path.split("/")[-1] for v in theirs.weights] == [
        w.path.split("/")[-1] for w in ours.weights
    ]
    theirs.set_weights(weights)
    expected = np.asarray(theirs(x, training=False))
    got = model.predict(x, verbose=0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


CASES = [
    ("DepthwiseConv2D", dict(kernel_size=3), (2, 7, 6, 3)),
    (
        "DepthwiseConv2D",
        dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2),
        (2, 7, 6, 3),
    ),
    (
        "DepthwiseConv2D",
        dict(kernel_size=(3, 2), dilation_rate=2, data_format="channels_first"),
        (2, 3, 8, 7),
    ),
    ("DepthwiseConv1D", dict(kernel_size=3, padding="same", depth_multiplier=3), (2, 9, 2)),
    (
        "SeparableConv2D",
        dict(filters=4, kernel_size=3, padding="same", depth_multiplier=2),
        (2, 7, 6, 3),
    ),
    ("SeparableConv1D", dict(filters=3, kernel_size=2, strides=2, activation="relu"), (2, 9, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 5, 4, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), (2, 4, 3, 3)),
    (
        "Conv2DTranspose",
        dict(filters=2, kernel_size=4, strides=3, padding="same", output_padding=2),
        (2, 3, 3, 2),
    ),
    (
        "Conv2DTranspose",
        dict(filters=2, kernel_size=3, dilation_rate=2, data_format="channels_first"),
        (2, 3, 4, 5),
    ),
    ("Conv1DTranspose", dict(filters=3, kernel_size=2, strides=3), (2, 5, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same"), (1, 3, 2, 3, 2)),
    ("Conv1D", dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2), (2, 7, 3)),
    ("ZeroPadding2D", dict(padding=((1, 2), (0, 3))), (2, 4, 5, 3)),
    ("ZeroPadding3D", dict(padding=1, data_format="channels_first"), (1, 2, 2, 3, 2)),
    ("Cropping2D", dict(cropping=((1, 0), (1, 2))), (2, 5, 6, 3)),
    ("UpSampling2D", dict(size=(3, 2), interpolation="bicubic"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, interpolation="lanczos3"), (2, 4, 3, 2)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (2, 3, 4, 2)),
    (
        "UpSampling2D",
        dict(size=2, interpolation="bilinear", data_format="channels_first"),
        (2, 2, 3, 4),
    ),
    ("LayerNormalization", dict(), (2, 5, 4)),
    ("LayerNormalization", dict(axis=[1, 2], epsilon=1e-5), (2, 3, 5, 4)),
    ("GroupNormalization", dict(groups=2), (2, 3, 4, 6)),
    ("GroupNormalization", dict(groups=-1, axis=1), (2, 4, 3, 3)),
    ("RMSNormalization", dict(), (2, 3, 5)),
    ("PReLU", dict(), (2, 3, 5)),
    ("PReLU", dict(shared_axes=[1, 2]), (2, 3, 4, 5)),
    ("AdaptiveAveragePooling2D", dict(output_size=(3, 2)), (2, 7, 5, 3)),
    ("AdaptiveMaxPooling2D", dict(output_size=4, data_format="channels_first"), (2, 3, 9, 6)),
    ("AdaptiveAveragePooling1D", dict(output_size=3), (2, 7, 3)),
    (
        "EinsumDense",
        dict(equation="abc,cde->abde", output_shape=(3, 2, 5), bias_axes="de"),
        (2, 3, 4),
    ),
    ("EinsumDense", dict(equation="...b,bc->...c", output_shape=6, bias_axes="c"), (2, 3, 4)),
    (
        "EinsumDense",
        dict(equation="abc...,cd->abd...", output_shape=(3, 4), bias_axes="bd"),
        (2, 3, 5, 2),
    ),
]


@pytest.mark.parametrize(
    "name, kwargs, shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_layer_matches_keras(name, kwargs, shape):
    _compare(name, kwargs, shape, atol=1e-4 if "Conv" in name else 1e-5)


def test_embedding_matches_keras():
    _compare("Embedding", dict(input_dim=5, output_dim=3), (2, 4), dtype="int32")


@pytest.mark.parametrize(
    "axes, shapes",
    [(1, [(2, 4), (2, 4)]), ((2, 2), [(2, 3, 4), (2, 5, 4)]), ((1, 1), [(2, 3, 4), (2, 3, 5)])],
)
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_keras(axes, shapes, normalize):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    inputs = [kgraph.Input(s[1:]) for s in shapes]
    model = kgraph.Model(inputs, kgraph.layers.Dot(axes, normalize=normalize)(inputs))
    expected = np.asarray(keras.layers.Dot(axes, normalize=normalize)([a, b]))
    np.testing.assert_allclose(model.predict([a, b], verbose=0), expected, rtol=1e-5, atol=1e-5)


ACTIVATIONS = [
    "hard_sigmoid", "hard_silu", "hard_swish", "mish", "celu", "log_sigmoid", "sparse_plus",
    "sparse_sigmoid", "squareplus", "tanh_shrink", "hard_tanh", "soft_shrink", "hard_shrink",
    "glu", "exponential", "relu6", "softsign", "linear", "log_softmax",
]  # fmt: skip


# sparsemax is left out: Keras 3.15 (every backend) sums the cumulative sums over the support
# instead of taking the k-th one, so its rows do not sum to 1; kgraph follows the definition
# (tests/ops/test_activation_ops.py), see README's differences from Keras.


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_keras(name):
    x = np.random.default_rng(2).standard_normal((3, 6)).astype(np.float32) * 3
    expected = np.asarray(keras.activations.get(name)(x))
    got = np.asarray(kgraph.activations.get(name)(x))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_relu_options_match_keras():
    x = np.linspace(-3, 8, 23, dtype=np.float32)
    for kwargs in [dict(negative_slope=0.1), dict(max_value=4.0, threshold=1.0)]:
        expected = np.asarray(keras.activations.relu(x, **kwargs))
        np.testing.assert_allclose(kgraph.activations.relu(x, **kwargs), expected, rtol=1e-6)


def test_threshold_matches_keras():
    x = np.linspace(-2, 2, 9, dtype=np.float32)
    expected = np.asarray(keras.activations.threshold(x, 0.5, -1.0))
    np.testing.assert_allclose(kgraph.activations.threshold(x, 0.5, -1.0), expected)


def test_conv_transpose_op_matches_keras():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 5, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    for strides, padding, output_padding in [(2, "same", None), (3, "valid", 2), (1, "same", 0)]:
        expected = keras.ops.conv_transpose(x, k, strides, padding, output_padding)
        got = kgraph.ops.conv_transpose(x, k, strides, padding, output_padding)
        np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-4, atol=1e-4)


def test_keras_weights_load_into_a_small_mobilenet_block():
    """A MobileNet-style stack built in both libraries: Keras' weights, in Keras' order, load
    unchanged (Keras runs its layers eagerly: building a Keras Model is slow on JAX)."""

    def stack(L):
        return [
            L.ZeroPadding2D(((0, 1), (0, 1))),
            L.Conv2D(8, 3, strides=2, use_bias=False),
            L.BatchNormalization(),
            L.ReLU(6.0),
            L.DepthwiseConv2D(3, padding="same", use_bias=False),
            L.BatchNormalization(),
            L.Activation("hard_swish"),
            L.Conv2D(4, 1),
            L.LayerNormalization(),
            L.Conv2DTranspose(3, 3, strides=2, padding="same"),
            L.UpSampling2D(interpolation="bilinear"),
        ]

    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 9, 9, 3)).astype(np.float32)
    expected = x
    theirs = stack(keras.layers)
    for layer in theirs:
        layer.build(expected.shape)
        layer.set_weights(
            [rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in layer.weights]
        )
        expected = np.asarray(layer(expected))
    inputs = kgraph.Input((9, 9, 3))
    outputs = inputs
    for layer in stack(kgraph.layers):
        outputs = layer(outputs)
    ours = kgraph.Model(inputs, outputs)
    ours.set_weights([w for layer in theirs for w in layer.get_weights()])
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "make, shape", [(lambda L: L.Dense(3), (4, 5)), (lambda L: L.Conv2D(3, 2), (2, 4, 4, 2))]
)
def test_spectral_normalization_matches_keras(make, shape):
    """Inference and one training call (output and the new vector_u)."""
    from tests.harness import training_graph_outputs

    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    ours = kgraph.layers.SpectralNormalization(make(kgraph.layers), power_iterations=2)
    inputs = kgraph.Input(shape[1:])
    model = kgraph.Model(inputs, ours(inputs))
    theirs = keras.layers.SpectralNormalization(make(keras.layers), power_iterations=2)
    theirs.build(shape)
    weights = [rng.uniform(-1, 1, w.shape).astype(np.float32) for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(theirs(x)), atol=1e-5)
    (trained,) = training_graph_outputs(model, [x])
    expected = np.asarray(theirs(x, training=True))
    np.testing.assert_allclose(trained, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours(x, training=True), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.vector_u.numpy(), np.asarray(theirs.vector_u.value), atol=1e-6)


@pytest.mark.slow
def test_keras_files_cross_both_ways(tmp_path):
    """A Keras .keras file of the zoo layers loads into kgraph with equal outputs, and kgraph's
    save of it loads back into Keras (weights laid out as Keras' saving_lib does)."""

    def build(lib):
        L = lib.layers
        inputs = lib.Input((8, 8, 3))
        y = L.ZeroPadding2D(1)(inputs)
        y = L.DepthwiseConv2D(3, depth_multiplier=2)(y)
        y = L.LayerNormalization()(y)
        y = L.SeparableConv2D(4, 3, padding="same")(y)
        y = L.GroupNormalization(2)(y)
        y = L.Conv2DTranspose(2, 3, strides=2, padding="same")(y)
        y = L.UpSampling2D(interpolation="bilinear")(y)
        y = L.Cropping2D(2)(y)
        y = L.PReLU()(y)
        y = L.GlobalAveragePooling2D(keepdims=True)(y)
        y = L.Reshape((2,))(y)
        y = L.RepeatVector(3)(y)
        y = L.TimeDistributed(L.Dense(3))(y)
        y = L.EinsumDense("abc,cd->abd", output_shape=(None, 4), bias_axes="d")(y)
        y = L.SpectralNormalization(L.Dense(2))(y)
        return lib.Model(inputs, y)

    theirs = build(keras)
    rng = np.random.default_rng(0)
    theirs.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("f4") for w in theirs.get_weights()])
    theirs.save(tmp_path / "k.keras")
    x = rng.standard_normal((2, 8, 8, 3)).astype(np.float32)
    expected = np.asarray(theirs(x))
    ours = kgraph.saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-3)
    ours.save(tmp_path / "g.keras")
    back = keras.saving.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(np.asarray(back(x)), expected, rtol=1e-6, atol=1e-6)


def _zoo_layers(L, activations):
    return [
        L.Conv1DTranspose(2, 3), L.Conv3DTranspose(2, 3, strides=2), L.SeparableConv1D(2, 3),
        L.DepthwiseConv1D(3), L.ZeroPadding3D(1), L.Cropping1D(1), L.Cropping3D(1),
        L.UpSampling1D(2), L.UpSampling3D(2), L.Dot(axes=1), L.Embedding(5, 3, mask_zero=True),
        L.Masking(), L.RMSNormalization(), L.UnitNormalization(), L.GaussianNoise(0.1),
        L.GaussianDropout(0.1), L.AlphaDropout(0.1), L.SpatialDropout1D(0.2),
        L.SpatialDropout3D(0.2), L.ActivityRegularization(0.1, 0.2),
        L.AdaptiveAveragePooling2D(3), L.AdaptiveMaxPooling1D(2), L.Lambda(activations.relu),
        L.PReLU(shared_axes=[1]), L.Conv1D(2, 3, padding="causal"), L.DepthwiseConv2D(3),
        L.SeparableConv2D(3, 3), L.Conv2DTranspose(2, 3, output_padding=1, strides=2),
        L.LayerNormalization(axis=[1, 2]), L.GroupNormalization(4),
        L.UpSampling2D(interpolation="bicubic"), L.EinsumDense("ab,bc->ac", 3, bias_axes="c"),
        L.RepeatVector(2), L.TimeDistributed(L.Dense(2)), L.SpectralNormalization(L.Dense(2)),
    ]  # fmt: skip


def test_layer_configs_cross_both_ways():
    """Each zoo layer's Keras config rebuilds in kgraph, and kgraph's rebuilds in Keras."""
    from keras.src.saving import serialization_lib as keras_serialization

    from kgraph.saving.serialization import deserialize_layer
    from kgraph.saving.serialization_lib import serialize_keras_object

    for theirs in _zoo_layers(keras.layers, keras.activations):
        ours = deserialize_layer(keras.layers.serialize(theirs))
        assert type(ours).__name__ == type(theirs).__name__
    for ours in _zoo_layers(kgraph.layers, kgraph.activations):
        config = serialize_keras_object(ours)
        theirs = keras_serialization.deserialize_keras_object(config, safe_mode=False)
        assert type(theirs).__name__ == type(ours).__name__
