"""Oracle: keras.io's computer-vision examples in miniature, written once against a library
argument and run in kgraph and in real Keras 3 (JAX backend): same weights, then predict, the
exported ONNX file and a few SGD steps of ``fit`` must agree (``check_program``).

Covers what the vision examples build from: separable/depthwise/grouped convolutions, 3D
convolutions and pooling, transposed convolutions, padding and cropping, bilinear upsampling,
patches with ``ops.image.extract_patches`` and positional embeddings, pixel shuffles on images
of any size, shared towers with a ``Lambda`` distance, and a frozen ``keras.applications``
backbone."""

from __future__ import annotations

import numpy as np
import pytest

from tests.oracle.keras_layer_programs import check_program
from tests.oracle.keras_oracle import MARKS

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(5)


# keras.io: "Image classification with ConvMixer"
def _conv_mixer(lib):
    layers = lib.layers

    def activation_block(x):
        return layers.BatchNormalization()(layers.Activation("gelu")(x))

    inputs = lib.Input((8, 8, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)
    x = activation_block(layers.Conv2D(8, kernel_size=2, strides=2)(x))
    for _ in range(2):
        x0 = x
        x = layers.DepthwiseConv2D(kernel_size=3, padding="same")(x)
        x = layers.Add()([activation_block(x), x0])
        x = activation_block(layers.Conv2D(8, kernel_size=1)(x))
    x = layers.GlobalAvgPool2D()(x)
    return lib.Model(inputs, layers.Dense(4, activation="softmax")(x))


@pytest.mark.slow  # ~6 s: Keras compiles the model's training step
def test_conv_mixer(tmp_path):
    x = (RNG.random((8, 8, 8, 3)) * 255).astype("float32")
    y = RNG.integers(0, 4, (8,))
    check_program(_conv_mixer, x, y, "sparse_categorical_crossentropy", tmp_path, atol=1e-4)


# keras.io: "Image classification with Vision Transformer"
def _vit(lib):
    layers, ops = lib.layers, lib.ops

    class Patches(layers.Layer):
        def __init__(self, patch_size):
            super().__init__()
            self.patch_size = patch_size

        def call(self, images):
            batch, height, width, channels = ops.shape(images)
            patches = ops.image.extract_patches(images, size=self.patch_size)
            count = (height // self.patch_size) * (width // self.patch_size)
            return ops.reshape(patches, (batch, count, self.patch_size**2 * channels))

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches, projection_dim):
            super().__init__()
            self.num_patches = num_patches
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(num_patches, projection_dim)

        def call(self, patch):
            positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), 0)
            return self.projection(patch) + self.position_embedding(positions)

    inputs = lib.Input((8, 8, 3))
    encoded = PatchEncoder(4, 8)(Patches(4)(inputs))
    x1 = layers.LayerNormalization(epsilon=1e-6)(encoded)
    attention = layers.MultiHeadAttention(num_heads=2, key_dim=8)(x1, x1)
    x2 = layers.Add()([attention, encoded])
    x3 = layers.Dense(8, activation=lib.activations.gelu)(layers.LayerNormalization()(x2))
    x = layers.Flatten()(layers.Add()([x3, x2]))
    return lib.Model(inputs, layers.Dense(3)(x))


@pytest.mark.slow  # ~6 s: Keras compiles the model's training step
def test_vision_transformer(tmp_path):
    x = (RNG.random((8, 8, 8, 3)) * 0.1).astype("float32")
    y = (RNG.random((8, 3)) * 0.1).astype("float32")
    check_program(_vit, x, y, "mse", tmp_path, atol=1e-4)


# keras.io: "3D image classification from CT scans", with the other 3D layers
def _cnn_3d(lib):
    layers = lib.layers
    inputs = lib.Input((8, 8, 6, 1))
    x = layers.Conv3D(filters=4, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=(2, 2, 1))(x)
    x = layers.BatchNormalization()(x)
    x = layers.Conv3D(filters=4, kernel_size=3, padding="same", groups=2)(x)
    x = layers.AveragePooling3D(pool_size=2, padding="same")(x)
    x = layers.UpSampling3D(2)(x)
    x = layers.ZeroPadding3D(1)(x)
    x = layers.Cropping3D(((1, 1), (0, 2), (1, 0)))(x)
    y = layers.GlobalMaxPooling3D()(layers.Conv3DTranspose(2, 3, strides=2, padding="same")(x))
    x = layers.concatenate([layers.GlobalAveragePooling3D()(x), y])
    return lib.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


@pytest.mark.slow  # ~6 s: Keras compiles the model's training step
def test_3d_cnn(tmp_path):
    x = RNG.random((8, 8, 8, 6, 1)).astype("float32")
    y = RNG.integers(0, 2, (8, 1)).astype("float32")
    check_program(_cnn_3d, x, y, "binary_crossentropy", tmp_path, atol=1e-4)


def _convolutions_2d_1d(lib):
    """Grouped, dilated, depthwise and separable convolutions with padding, cropping and the
    1D layers after a Permute/Reshape."""
    layers = lib.layers
    inputs = lib.Input((12, 12, 4))
    x = layers.ZeroPadding2D(((1, 2), (3, 0)))(inputs)
    x = layers.Cropping2D(((2, 1), (0, 3)))(x)
    x = layers.Conv2D(8, 3, groups=4, padding="same", dilation_rate=2)(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2)(x)
    x = layers.SeparableConv2D(8, (3, 1), depth_multiplier=2, padding="same")(x)
    x = layers.GroupNormalization(groups=4)(x)
    x = layers.AveragePooling2D(pool_size=3, strides=1, padding="same")(x)
    x = layers.MaxPooling2D(pool_size=(2, 3), strides=(2, 1))(x)
    x = layers.Reshape((8, -1))(layers.Permute((3, 1, 2))(x))
    x = layers.Conv1D(6, 3, padding="causal", dilation_rate=2)(x)
    x = layers.DepthwiseConv1D(3, padding="same")(x)
    x = layers.SeparableConv1D(4, 3, padding="same")(x)
    x = layers.ZeroPadding1D(2)(layers.Cropping1D((1, 1))(layers.UpSampling1D(2)(x)))
    x = layers.AveragePooling1D(2, padding="same")(layers.MaxPooling1D(2)(x))
    x = layers.Conv1DTranspose(3, 3, strides=2)(x)
    return lib.Model(inputs, layers.Dense(3)(layers.GlobalMaxPooling1D()(x)))


def test_grouped_depthwise_separable_padding_cropping(tmp_path):
    x = RNG.random((8, 12, 12, 4)).astype("float32")
    y = RNG.random((8, 3)).astype("float32")
    check_program(_convolutions_2d_1d, x, y, "mse", tmp_path, atol=1e-4)


# keras.io: "Convolutional autoencoder for image denoising", and a concatenating U-Net
def _denoiser(lib):
    layers = lib.layers
    inputs = layers.Input(shape=(12, 12, 1))
    x = layers.Conv2D(4, 3, activation="relu", padding="same")(inputs)
    skip = x
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(4, 3, activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, activation="relu", padding="same")(x)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = layers.concatenate([x, skip])
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="valid", output_padding=1)(x)
    x = layers.Conv2DTranspose(4, 3, dilation_rate=2)(x)
    x = layers.Resizing(12, 12)(x)
    return lib.Model(inputs, layers.Conv2D(1, 3, activation="sigmoid", padding="same")(x))


def test_denoising_autoencoder(tmp_path):
    x = RNG.random((8, 12, 12, 1)).astype("float32")
    check_program(_denoiser, x, x, "binary_crossentropy", tmp_path, atol=1e-4)


# keras.io: "Image Super-Resolution using an Efficient Sub-Pixel CNN"
def _espcn(lib):
    layers = lib.layers
    conv_args = {"activation": "relu", "padding": "same"}
    inputs = lib.Input(shape=(None, None, 1))
    x = layers.Conv2D(8, 5, **conv_args)(inputs)
    x = layers.Conv2D(9, 3, **conv_args)(x)
    outputs = layers.Lambda(lambda t: lib.ops.depth_to_space(t, 3))(x)
    return lib.Model(inputs, outputs)


def test_espcn_super_resolution_on_images_of_any_size(tmp_path):
    x = RNG.random((8, 6, 5, 1)).astype("float32")
    y = np.repeat(np.repeat(x, 3, axis=1), 3, axis=2)
    ours, theirs = check_program(_espcn, x, y, "mse", tmp_path, atol=1e-5)
    other = RNG.random((2, 7, 4, 1)).astype("float32")
    np.testing.assert_allclose(
        ours.predict(other, verbose=0), theirs.predict(other, verbose=0), rtol=1e-5, atol=1e-5
    )


# keras.io: "Image similarity estimation using a Siamese Network with a contrastive loss"
def _siamese(lib):
    layers, ops = lib.layers, lib.ops

    def euclidean_distance(vects):
        x, y = vects
        sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
        return ops.sqrt(ops.maximum(sum_square, 1e-7))

    inputs = layers.Input((10, 10, 1))
    x = layers.BatchNormalization()(inputs)
    x = layers.Conv2D(4, (3, 3), activation="tanh")(x)
    x = layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = layers.Flatten()(x)
    tower = lib.Model(inputs, layers.Dense(6, activation="tanh")(x))
    first, second = layers.Input((10, 10, 1)), layers.Input((10, 10, 1))
    distance = layers.Lambda(euclidean_distance, output_shape=(1,))([tower(first), tower(second)])
    outputs = layers.Dense(1, activation="sigmoid")(layers.BatchNormalization()(distance))
    return lib.Model(inputs=[first, second], outputs=outputs)


def test_siamese_shared_tower(tmp_path):
    x = [RNG.random((8, 10, 10, 1)).astype("float32") for _ in range(2)]
    y = RNG.integers(0, 2, (8, 1)).astype("float32")
    check_program(_siamese, x, y, "binary_crossentropy", tmp_path, atol=1e-4)


def test_batch_norm_in_a_tower_called_twice_updates_its_statistics_in_turn():
    """keras.io's Siamese tower starts with BatchNormalization and runs on both images each
    step: Keras updates the moving statistics once per call, the second from the first."""
    import kgraph
    from tests.oracle.keras_oracle import keras

    a, b = np.full((4, 1), 1.0, "float32"), np.full((4, 1), 5.0, "float32")
    means = []
    for lib in (kgraph, keras):
        norm = lib.layers.BatchNormalization(momentum=0.5)
        first, second = lib.Input((1,)), lib.Input((1,))
        model = lib.Model([first, second], lib.layers.Add()([norm(first), norm(second)]))
        model.compile(lib.optimizers.SGD(0.0), "mse")
        model.fit([a, b], np.zeros((4, 1), "float32"), batch_size=4, verbose=0)
        means.append(float(np.asarray(norm.moving_mean.numpy())[0]))
    assert means[1] == pytest.approx(0.5 * (0.5 * 0.0 + 0.5 * 1.0) + 0.5 * 5.0)
    assert means[0] == pytest.approx(means[1])


# keras.io: "Keypoint Detection with Transfer Learning" (a frozen MobileNetV2 backbone)
def _keypoints(lib):
    backbone = lib.applications.MobileNetV2(
        weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.35
    )
    backbone.trainable = False
    inputs = lib.layers.Input((32, 32, 3))
    x = lib.applications.mobilenet_v2.preprocess_input(inputs)
    x = backbone(x)
    x = lib.layers.SeparableConv2D(6, kernel_size=1, activation="relu")(x)
    outputs = lib.layers.SeparableConv2D(6, kernel_size=1, activation="sigmoid")(x)
    return lib.Model(inputs, outputs, name="keypoint_detector")


@pytest.mark.slow
def test_keypoint_regression_on_a_frozen_backbone(tmp_path):
    x = (RNG.random((8, 32, 32, 3)) * 255).astype("float32")
    y = RNG.random((8, 1, 1, 6)).astype("float32")
    ours, theirs = check_program(_keypoints, x, y, "mse", tmp_path, atol=1e-4)
    assert ours.count_params() == theirs.count_params()
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)


def _channels_first_2d(lib):
    layers = lib.layers
    cf = dict(data_format="channels_first")
    inputs = lib.Input((3, 12, 12))
    x = layers.Conv2D(4, 3, padding="same", **cf)(inputs)
    x = layers.BatchNormalization(axis=1)(x)
    x = layers.SeparableConv2D(4, 3, strides=2, padding="same", **cf)(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, **cf)(x)
    x = layers.MaxPooling2D(**cf)(x)
    x = layers.AveragePooling2D(2, strides=1, padding="same", **cf)(x)
    x = layers.UpSampling2D(2, interpolation="bilinear", **cf)(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same", **cf)(x)
    x = layers.Cropping2D(2, **cf)(layers.ZeroPadding2D(1, **cf)(x))
    x = layers.Conv2D(4, 3, groups=2, **cf)(x)
    x = layers.GroupNormalization(2, axis=1)(x)
    x = layers.Resizing(5, 5, **cf)(x)
    return lib.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling2D(**cf)(x)))


def _channels_first_3d(lib):
    layers = lib.layers
    cf = dict(data_format="channels_first")
    inputs = lib.Input((2, 6, 6, 4))
    x = layers.Conv3D(4, 3, padding="same", **cf)(inputs)
    x = layers.MaxPooling3D(2, **cf)(x)
    x = layers.Conv3DTranspose(2, 2, strides=2, **cf)(x)
    x = layers.UpSampling3D(2, **cf)(x)
    x = layers.Cropping3D(2, **cf)(layers.ZeroPadding3D(1, **cf)(x))
    x = layers.AveragePooling3D(2, **cf)(x)
    return lib.Model(inputs, layers.Dense(2)(layers.GlobalMaxPooling3D(**cf)(x)))


def _channels_first_1d(lib):
    layers = lib.layers
    cf = dict(data_format="channels_first")
    inputs = lib.Input((3, 16))
    x = layers.Conv1D(4, 3, padding="same", **cf)(inputs)
    x = layers.SeparableConv1D(4, 3, **cf)(x)
    x = layers.DepthwiseConv1D(3, **cf)(x)
    x = layers.Conv1DTranspose(2, 3, strides=2, **cf)(x)
    x = layers.AveragePooling1D(2, **cf)(layers.MaxPooling1D(2, **cf)(x))
    return lib.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling1D(**cf)(x)))


@pytest.mark.slow
@pytest.mark.parametrize(
    "build, shape",
    [
        (_channels_first_2d, (8, 3, 12, 12)),
        (_channels_first_3d, (8, 2, 6, 6, 4)),
        (_channels_first_1d, (8, 3, 16)),
    ],
    ids=["2d", "3d", "1d"],
)
def test_channels_first_layers(build, shape, tmp_path):
    """Every convolution, pooling, padding, cropping, upsampling and normalization layer the
    vision examples use, with data_format='channels_first'."""
    x = RNG.random(shape).astype("float32")
    y = RNG.random((8, 2)).astype("float32")
    check_program(build, x, y, "mse", tmp_path, atol=1e-4)
