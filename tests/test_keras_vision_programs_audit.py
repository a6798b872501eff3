"""keras.io's computer-vision examples, shrunk to small random images and run unchanged with
``import kgraph as keras``: build, compile, fit, evaluate, predict, save to ``.keras`` and load
back. Each checks concrete results (numpy references for the custom layers, the same
predictions after loading, frozen weights left alone) so that a vision habit kgraph breaks fails
here; ``tests/oracle/test_keras_vision_programs_oracle.py`` compares the same programs with
Keras itself."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers, ops

RNG = np.random.default_rng(4)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


def reload_and_compare(model, x, tmp_path, custom_objects=None):
    """Saves ``model`` to ``.keras``, loads it back and checks that both predict the same."""
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects=custom_objects)
    expected = model.predict(x, verbose=0)
    got = loaded.predict(x, verbose=0)
    for e, g in zip(*(v if isinstance(v, list) else [v] for v in (expected, got))):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    return loaded


# keras.io: "Image classification from scratch" (an Xception-like net of separable convs)
def make_xception_mini(input_shape, augmentation):
    inputs = keras.Input(shape=input_shape)
    x = augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [16, 32]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.25)(x)
    return keras.Model(inputs, layers.Dense(1, activation=None)(x))


def test_image_classification_from_scratch(tmp_path):
    augmentation = keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.1),
            layers.RandomContrast(0.2),
        ],
        name="data_augmentation",
    )
    x = RNG.integers(0, 256, size=(16, 16, 16, 3)).astype("float32")
    y = RNG.integers(0, 2, size=(16, 1)).astype("float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(augmentation(x, training=False)), x)
    flipped = ops.convert_to_numpy(layers.RandomFlip("horizontal", seed=3)(x, training=True))
    for image, out in zip(x, flipped):  # each image is kept or mirrored left to right
        assert np.array_equal(out, image) or np.array_equal(out, image[:, ::-1])
    model = make_xception_mini((16, 16, 3), augmentation)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    history = model.fit(x, y, epochs=2, batch_size=8, validation_data=(x[:8], y[:8]), verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    logits = model.predict(x, verbose=0)
    probability = 1 / (1 + np.exp(-logits))
    labels = y[:, 0]
    bce = -np.mean(
        labels * np.log(probability[:, 0]) + (1 - labels) * np.log(1 - probability[:, 0])
    )
    assert result["loss"] == pytest.approx(bce, rel=1e-4)
    assert result["acc"] == pytest.approx(np.mean((logits[:, 0] > 0) == (labels > 0.5)))
    reload_and_compare(model, x, tmp_path)


# keras.io: "Image classification with Vision Transformer"
@keras.saving.register_keras_serializable(package="vision_audit")
class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        input_shape = ops.shape(images)
        batch_size, height, width, channels = input_shape
        num_patches_h = height // self.patch_size
        num_patches_w = width // self.patch_size
        patches = keras.ops.image.extract_patches(images, size=self.patch_size)
        return ops.reshape(
            patches,
            (batch_size, num_patches_h * num_patches_w, self.patch_size**2 * channels),
        )

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size}


@keras.saving.register_keras_serializable(package="vision_audit")
class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches
        self.projection_dim = projection_dim
        self.projection = layers.Dense(units=projection_dim)
        self.position_embedding = layers.Embedding(input_dim=num_patches, output_dim=projection_dim)

    def call(self, patch):
        positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
        return self.projection(patch) + self.position_embedding(positions)

    def get_config(self):
        config = super().get_config()
        config.update({"num_patches": self.num_patches, "projection_dim": self.projection_dim})
        return config


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


def test_vision_transformer(tmp_path):
    image_size, patch_size, projection_dim = 16, 4, 16
    x = RNG.normal(size=(16, image_size, image_size, 3)).astype("float32")
    y = RNG.integers(0, 10, size=(16, 1))
    patches = ops.convert_to_numpy(Patches(patch_size)(x[:2]))
    expected = x[:2].reshape(2, 4, 4, 4, 4, 3).transpose(0, 1, 3, 2, 4, 5).reshape(2, 16, 48)
    np.testing.assert_array_equal(patches, expected)

    augmentation = keras.Sequential(
        [layers.Normalization(), layers.RandomFlip("horizontal"), layers.RandomRotation(0.02)],
        name="data_augmentation",
    )
    augmentation.layers[0].adapt(x)
    inputs = keras.Input(shape=(image_size, image_size, 3))
    encoded_patches = PatchEncoder(16, projection_dim)(Patches(patch_size)(augmentation(inputs)))
    for _ in range(2):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        attention_output = layers.MultiHeadAttention(
            num_heads=2, key_dim=projection_dim, dropout=0.1
        )(x1, x1)
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=[projection_dim * 2, projection_dim], dropout_rate=0.1)
        encoded_patches = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    representation = layers.Dropout(0.5)(layers.Flatten()(representation))
    logits = layers.Dense(10)(mlp(representation, hidden_units=[32], dropout_rate=0.5))
    model = keras.Model(inputs=inputs, outputs=logits)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    assert len(history.history["val_top-5-accuracy"]) == 2
    _, accuracy, top5 = model.evaluate(x, y, verbose=0)
    logits = model.predict(x, verbose=0)
    ranks = (logits > logits[np.arange(16), y[:, 0]][:, None]).sum(axis=1)
    assert accuracy == pytest.approx(np.mean(ranks == 0))
    assert top5 == pytest.approx(np.mean(ranks < 5))
    reload_and_compare(model, x, tmp_path)


# keras.io: "Image classification with ConvMixer"
def activation_block(x):
    x = layers.Activation("gelu")(x)
    return layers.BatchNormalization()(x)


def conv_mixer_block(x, filters, kernel_size):
    x0 = x
    x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
    x = layers.Add()([activation_block(x), x0])
    x = layers.Conv2D(filters, kernel_size=1)(x)
    return activation_block(x)


def test_conv_mixer_with_best_weights_checkpoint(tmp_path):
    inputs = keras.Input((16, 16, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)
    x = activation_block(layers.Conv2D(16, kernel_size=2, strides=2)(x))
    for _ in range(2):
        x = conv_mixer_block(x, 16, 5)
    x = layers.GlobalAvgPool2D()(x)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    x = RNG.integers(0, 256, size=(16, 16, 16, 3)).astype("float32")
    y = RNG.integers(0, 10, size=(16,))
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    path = str(tmp_path / "checkpoint.weights.h5")
    checkpoint = keras.callbacks.ModelCheckpoint(
        path, monitor="val_loss", save_best_only=True, save_weights_only=True
    )
    history = model.fit(x, y, validation_data=(x, y), epochs=2, callbacks=[checkpoint], verbose=0)
    model.load_weights(path)
    best = min(history.history["val_loss"])
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(best, rel=1e-5)
    kernels = [
        layer.get_weights()[0]
        for layer in model.layers
        if isinstance(layer, layers.DepthwiseConv2D) and layer.kernel_size == (5, 5)
    ]
    assert [k.shape for k in kernels] == [(5, 5, 16, 1)] * 2
    assert model.layers[2].get_weights()[0].shape == (2, 2, 3, 16)
    reload_and_compare(model, x, tmp_path)


# keras.io: "Image classification with modern MLP models" (MLP-Mixer and FNet blocks)
class MLPMixerLayer(layers.Layer):
    def __init__(self, num_patches, hidden_units, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mlp1 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=num_patches),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.mlp2 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=hidden_units),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.normalize = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        x = self.normalize(inputs)
        x_channels = ops.transpose(x, axes=(0, 2, 1))
        mlp1_outputs = ops.transpose(self.mlp1(x_channels), axes=(0, 2, 1))
        x = mlp1_outputs + inputs
        return x + self.mlp2(self.normalize(x))


class FNetLayer(layers.Layer):
    def __init__(self, embedding_dim, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ffn = keras.Sequential(
            [
                layers.Dense(units=embedding_dim, activation="gelu"),
                layers.Dropout(rate=dropout_rate),
                layers.Dense(units=embedding_dim),
            ]
        )
        self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
        self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        x = ops.fft2((inputs, ops.zeros_like(inputs)))[0]
        x = self.normalize1(x + inputs)
        return self.normalize2(x + self.ffn(x))


def test_mlp_mixer_and_fnet_blocks():
    x = RNG.normal(size=(16, 16, 16, 3)).astype("float32")
    y = RNG.integers(0, 10, size=(16, 1))
    fourier = ops.convert_to_numpy(ops.fft2((x[:2, 0], np.zeros_like(x[:2, 0])))[0])
    np.testing.assert_allclose(fourier, np.fft.fft2(x[:2, 0]).real, rtol=1e-4, atol=1e-4)
    for blocks in (
        keras.Sequential([MLPMixerLayer(16, 16, 0.2) for _ in range(2)]),
        keras.Sequential([FNetLayer(16, 0.2) for _ in range(2)]),
    ):
        inputs = layers.Input(shape=(16, 16, 3))
        augmented = keras.Sequential([layers.Resizing(16, 16), layers.RandomFlip("horizontal")])(
            inputs
        )
        patches = Patches(4)(augmented)
        x_ = blocks(layers.Dense(units=16)(patches))
        representation = layers.Dropout(rate=0.2)(layers.GlobalAveragePooling1D()(x_))
        model = keras.Model(inputs=inputs, outputs=layers.Dense(10)(representation))
        model.compile(
            optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
        )
        callbacks = [
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=10, restore_best_weights=True
            ),
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5),
        ]
        model.fit(
            x, y, batch_size=8, epochs=2, validation_split=0.25, callbacks=callbacks, verbose=0
        )
        np.testing.assert_allclose(
            model.predict(x, verbose=0),
            ops.convert_to_numpy(model(x, training=False)),
            rtol=1e-5,
            atol=1e-5,
        )


# keras.io: "Compact Convolutional Transformers"
class CCTTokenizer(layers.Layer):
    def __init__(self, kernel_size=3, stride=1, padding=1, pooling_kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.conv_model = keras.Sequential()
        for filters in [8, 16]:
            self.conv_model.add(
                layers.Conv2D(
                    filters,
                    kernel_size,
                    stride,
                    padding="valid",
                    use_bias=False,
                    activation="relu",
                    kernel_initializer="he_normal",
                )
            )
            self.conv_model.add(layers.ZeroPadding2D(padding))
            self.conv_model.add(layers.MaxPooling2D(pooling_kernel_size, 2, "same"))

    def call(self, images):
        outputs = self.conv_model(images)
        shape = ops.shape(outputs)
        return ops.reshape(outputs, (-1, shape[1] * shape[2], shape[-1]))


class StochasticDepth(layers.Layer):
    def __init__(self, drop_prop, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob = drop_prop
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=None):
        if training:
            keep_prob = 1 - self.drop_prob
            shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
            random_tensor = keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator)
            return (x / keep_prob) * ops.floor(random_tensor)
        return x


class SequencePooling(layers.Layer):
    def __init__(self):
        super().__init__()
        self.attention = layers.Dense(1)

    def call(self, x):
        attention_weights = ops.softmax(self.attention(x), axis=1)
        attention_weights = ops.transpose(attention_weights, axes=(0, 2, 1))
        return ops.squeeze(ops.matmul(attention_weights, x), -2)


def test_compact_convolutional_transformer():
    augmentation = keras.Sequential(
        [layers.Rescaling(scale=1.0 / 255), layers.RandomCrop(16, 16), layers.RandomFlip()]
    )
    inputs = layers.Input((16, 16, 3))
    encoded_patches = CCTTokenizer()(augmentation(inputs))
    assert tuple(encoded_patches.shape) == (None, 16, 16)
    for rate in np.linspace(0, 0.1, 2):
        x1 = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
        attention_output = layers.MultiHeadAttention(num_heads=2, key_dim=16)(x1, x1)
        x2 = layers.Add()([StochasticDepth(rate)(attention_output), encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-5)(x2)
        x3 = StochasticDepth(rate)(mlp(x3, hidden_units=[16, 16], dropout_rate=0.1))
        encoded_patches = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-5)(encoded_patches)
    logits = layers.Dense(10)(SequencePooling()(representation))
    model = keras.Model(inputs=inputs, outputs=logits)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.0001),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    x = RNG.integers(0, 256, size=(16, 16, 16, 3)).astype("float32")
    y = keras.utils.to_categorical(RNG.integers(0, 10, size=(16,)), 10)
    model.fit(x=x, y=y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    loss, _ = model.evaluate(x, y, verbose=0)
    logits = model.predict(x, verbose=0)
    smooth = y * 0.9 + 0.01
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-np.mean((smooth * log_softmax).sum(axis=1)), rel=1e-4)
    drop = StochasticDepth(0.5)
    ones = np.ones((64, 2), "float32")
    kept = ops.convert_to_numpy(drop(ones, training=True))
    assert set(np.unique(kept)) <= {0.0, 2.0} and 0 < kept.sum() < 256
    np.testing.assert_array_equal(ops.convert_to_numpy(drop(ones)), ones)


# keras.io: "Image segmentation with a U-Net-like architecture"
def test_unet_segmentation_with_per_pixel_sparse_crossentropy(tmp_path):
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    previous_block_activation = x
    for filters in [16, 32]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = previous_block_activation = layers.add([x, residual])
    for filters in [32, 16, 8]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = previous_block_activation = layers.add([x, residual])
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same")(x)
    model = keras.Model(inputs, outputs)
    x = RNG.normal(size=(8, 32, 32, 3)).astype("float32")
    y = RNG.integers(0, 3, size=(8, 32, 32, 1)).astype("uint8")
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=4, validation_data=(x[:4], y[:4]), verbose=0)
    predictions = model.predict(x, verbose=0)
    assert predictions.shape == (8, 32, 32, 3)
    picked = np.take_along_axis(predictions, y.astype(int), axis=-1)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(-np.mean(np.log(picked)), rel=1e-4)
    mask = np.expand_dims(np.argmax(predictions[0], axis=-1), axis=-1)
    assert keras.utils.array_to_img(mask).size == (32, 32)
    reload_and_compare(model, x, tmp_path)


# keras.io: "Image Super-Resolution using an Efficient Sub-Pixel CNN"
class DepthToSpace(layers.Layer):
    def __init__(self, block_size):
        super().__init__()
        self.block_size = block_size

    def call(self, input):  # noqa: A002 (the example's name)
        batch, height, width, depth = ops.shape(input)
        depth = depth // (self.block_size**2)
        x = ops.reshape(input, [batch, height, width, self.block_size, self.block_size, depth])
        x = ops.transpose(x, [0, 1, 3, 2, 4, 5])
        return ops.reshape(x, [batch, height * self.block_size, width * self.block_size, depth])


def test_espcn_super_resolution_on_images_of_any_size(tmp_path):
    conv_args = {"activation": "relu", "kernel_initializer": "orthogonal", "padding": "same"}
    inputs = keras.Input(shape=(None, None, 1))
    x = layers.Conv2D(16, 5, **conv_args)(inputs)
    x = layers.Conv2D(9, 3, **conv_args)(x)
    model = keras.Model(inputs, DepthToSpace(3)(x))
    built_in = keras.Model(inputs, ops.depth_to_space(x, 3))
    low = RNG.random(size=(16, 8, 8, 1)).astype("float32")
    high = np.repeat(np.repeat(low, 3, axis=1), 3, axis=2)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    history = model.fit(low, high, epochs=2, batch_size=4, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    for shape in [(1, 10, 12, 1), (2, 5, 3, 1)]:
        image = RNG.random(size=shape).astype("float32")
        features = keras.Model(inputs, x).predict(image, verbose=0)
        n, h, w, _ = shape
        expected = features.reshape(n, h, w, 3, 3, 1).transpose(0, 1, 3, 2, 4, 5)
        expected = expected.reshape(n, h * 3, w * 3, 1)
        np.testing.assert_allclose(model.predict(image, verbose=0), expected, atol=1e-6)
        np.testing.assert_allclose(built_in.predict(image, verbose=0), expected, atol=1e-6)
    reload_and_compare(built_in, low, tmp_path)


# keras.io: "Convolutional autoencoder for image denoising"
def test_denoising_autoencoder(tmp_path):
    train_data = RNG.random(size=(16, 28, 28, 1)).astype("float32")
    noisy = np.clip(train_data + 0.4 * RNG.normal(size=train_data.shape), 0.0, 1.0)
    noisy = noisy.astype("float32")
    inputs = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(inputs)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(inputs, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    assert autoencoder.count_params() == (9 * 8 + 8) + (9 * 64 + 8) * 3 + (9 * 8 + 1)
    history = autoencoder.fit(
        x=noisy,
        y=train_data,
        epochs=2,
        batch_size=8,
        shuffle=True,
        validation_data=(noisy, train_data),
        verbose=0,
    )
    assert len(history.history["val_loss"]) == 2
    reload_and_compare(autoencoder, noisy, tmp_path)
    inputs = keras.Input((7, 7, 2))
    shapes = [
        layers.Conv2DTranspose(3, 3, strides=2, output_padding=1)(inputs).shape,
        layers.Conv2DTranspose(3, 3, dilation_rate=2)(inputs).shape,
        layers.Conv2DTranspose(3, 4, strides=3, padding="same")(inputs).shape,
    ]
    # (size - 1) * stride + dilated kernel (+ output_padding); 'same': size * stride
    assert [tuple(s) for s in shapes] == [(None, 16, 16, 3), (None, 11, 11, 3), (None, 21, 21, 3)]


# keras.io: "Image similarity estimation using a Siamese Network with a contrastive loss"
def euclidean_distance(vects):
    x, y = vects
    sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))


def contrastive_loss(y_true, y_pred, margin=1):
    square_pred = ops.square(y_pred)
    margin_square = ops.square(ops.maximum(margin - (y_pred), 0))
    return ops.mean((1 - y_true) * square_pred + (y_true) * margin_square)


def test_siamese_network_with_contrastive_loss(tmp_path):
    input = keras.layers.Input((28, 28, 1))  # noqa: A001 (the example's name)
    x = keras.layers.BatchNormalization()(input)
    x = keras.layers.Conv2D(4, (5, 5), activation="tanh")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Conv2D(8, (5, 5), activation="tanh")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(input, x)
    input_1 = keras.layers.Input((28, 28, 1))
    input_2 = keras.layers.Input((28, 28, 1))
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)
    merge_layer = keras.layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2])
    normal_layer = keras.layers.BatchNormalization()(merge_layer)
    output_layer = keras.layers.Dense(1, activation="sigmoid")(normal_layer)
    siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)
    # the towers share one set of weights
    assert len(siamese.weights) == len(embedding_network.weights) + 4 + 2
    siamese.compile(loss=contrastive_loss, optimizer="RMSprop", metrics=["accuracy"])
    x1, x2 = (RNG.random((16, 28, 28, 1)).astype("float32") for _ in range(2))
    y = RNG.integers(0, 2, (16,)).astype("float32")
    siamese.fit([x1, x2], y, validation_data=([x1, x2], y), batch_size=4, epochs=2, verbose=0)
    loss, accuracy = siamese.evaluate([x1, x2], y, verbose=0)
    p = siamese.predict([x1, x2], verbose=0)[:, 0]
    expected = np.mean((1 - y) * p**2 + y * np.maximum(1 - p, 0) ** 2)
    assert loss == pytest.approx(expected, rel=1e-4)
    assert accuracy == pytest.approx(np.mean((p > 0.5) == (y > 0.5)))
    tower = keras.Model(embedding_network.input, embedding_network.output)
    a = tower.predict(x1, verbose=0)
    b = tower.predict(x2, verbose=0)
    distance = keras.Model(siamese.inputs, merge_layer).predict([x1, x2], verbose=0)
    np.testing.assert_allclose(
        distance[:, 0], np.sqrt(((a - b) ** 2).sum(axis=1)), rtol=1e-4, atol=1e-5
    )
    keras.config.enable_unsafe_deserialization()
    reload_and_compare(
        siamese,
        [x1, x2],
        tmp_path,
        custom_objects={
            "contrastive_loss": contrastive_loss,
            "euclidean_distance": euclidean_distance,
        },
    )


# keras.io: "3D image classification from CT scans"
def test_3d_cnn_volume_classification(tmp_path):
    inputs = keras.Input((16, 16, 8, 1))
    x = layers.Conv3D(filters=4, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Conv3D(filters=8, kernel_size=3, activation="relu", padding="same")(x)
    x = layers.MaxPool3D(pool_size=(2, 2, 1))(x)
    x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(units=16, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(units=1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs, name="3dcnn")
    assert [tuple(layer.output.shape) for layer in model.layers[1:7]] == [
        (None, 14, 14, 6, 4),
        (None, 7, 7, 3, 4),
        (None, 7, 7, 3, 4),
        (None, 7, 7, 3, 8),
        (None, 3, 3, 3, 8),
        (None, 3, 3, 3, 8),
    ]
    x = RNG.random((8, 16, 16, 8, 1)).astype("float32")
    y = RNG.integers(0, 2, (8,)).astype("float32")
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        0.0001, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=lr_schedule),
        metrics=["acc"],
    )
    path = str(tmp_path / "3d_image_classification.keras")
    checkpoint_cb = keras.callbacks.ModelCheckpoint(path, save_best_only=True)
    model.fit(
        x,
        y,
        validation_data=(x, y),
        epochs=2,
        batch_size=4,
        shuffle=True,
        callbacks=[checkpoint_cb],
        verbose=0,
    )
    model.load_weights(path)
    prediction = model.predict(np.expand_dims(x[0], axis=0), verbose=0)[0]
    assert prediction.shape == (1,) and 0 < prediction[0] < 1
    pooled = keras.Model(inputs, model.layers[6].output).predict(x, verbose=0)
    features = keras.Model(inputs, model.layers[7].output).predict(x, verbose=0)
    np.testing.assert_allclose(features, pooled.mean(axis=(1, 2, 3)), rtol=1e-5, atol=1e-6)
    reload_and_compare(model, x, tmp_path)


def test_grouped_depthwise_convolutions_padding_and_cropping(tmp_path):
    """The layers vision models are built from, in one model: grouped and dilated Conv2D,
    DepthwiseConv2D with a multiplier, SeparableConv2D, Cropping/ZeroPadding in 1D and 2D,
    SpatialDropout2D, GroupNormalization and the 1D convolutions and pooling."""
    inputs = keras.Input((20, 20, 4))
    x = layers.ZeroPadding2D(((1, 2), (3, 0)))(inputs)
    x = layers.Cropping2D(((2, 1), (0, 3)))(x)
    x = layers.Conv2D(8, 3, groups=4, padding="same", dilation_rate=2, name="grouped")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, name="depthwise")(x)
    x = layers.SpatialDropout2D(0.2)(x)
    x = layers.SeparableConv2D(8, (3, 1), depth_multiplier=2, padding="same")(x)
    x = layers.GroupNormalization(groups=4)(x)
    x = layers.MaxPooling2D(pool_size=(2, 3), strides=(2, 1))(x)
    x = layers.Reshape((8, -1))(layers.Permute((3, 1, 2))(x))
    x = layers.Conv1D(6, 3, padding="causal", dilation_rate=2)(x)
    x = layers.SeparableConv1D(4, 3, padding="same")(layers.DepthwiseConv1D(3, padding="same")(x))
    x = layers.ZeroPadding1D(2)(layers.Cropping1D((1, 1))(layers.UpSampling1D(2)(x)))
    x = layers.AveragePooling1D(2, padding="same")(layers.MaxPooling1D(2)(x))
    outputs = layers.Dense(3, activation="softmax")(layers.GlobalMaxPooling1D()(x))
    model = keras.Model(inputs, outputs)
    shapes = [tuple(layer.output.shape) for layer in model.layers[1:]]
    assert shapes[:4] == [(None, 23, 23, 4), (None, 20, 20, 4), (None, 20, 20, 8), (None, 9, 9, 16)]
    assert shapes[-7:-2] == [
        (None, 16, 4),
        (None, 14, 4),
        (None, 18, 4),
        (None, 9, 4),
        (None, 5, 4),
    ]
    grouped = model.get_layer("grouped")
    assert grouped.kernel.shape == (3, 3, 1, 8)
    assert model.get_layer("depthwise").kernel.shape == (3, 3, 8, 2)
    x = RNG.random((16, 20, 20, 4)).astype("float32")
    y = RNG.integers(0, 3, (16,))
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    # grouped convolution: output channels 2g, 2g+1 see input channel g alone
    probe = keras.Model(inputs, model.get_layer("grouped").output)
    padded = np.pad(x[:2], ((0, 0), (1, 2), (3, 0), (0, 0)))[:, 2:-1, :-3]
    kernel, bias = grouped.get_weights()
    image = np.pad(padded, ((0, 0), (2, 2), (2, 2), (0, 0)))
    expected = np.zeros((2, 20, 20, 8), "float32") + bias
    for i in range(3):
        for j in range(3):
            taps = image[:, 2 * i : 2 * i + 20, 2 * j : 2 * j + 20]
            expected += np.repeat(taps, 2, axis=-1) * kernel[i, j, 0]
    np.testing.assert_allclose(probe.predict(x[:2], verbose=0), expected, rtol=1e-4, atol=1e-5)
    reload_and_compare(model, x, tmp_path)


# keras.io: "Transfer learning & fine-tuning" and "Keypoint Detection with Transfer Learning"
@pytest.mark.slow
def test_transfer_learning_freeze_then_fine_tune(tmp_path):
    base_model = keras.applications.MobileNetV2(
        weights=None, input_shape=(32, 32, 3), include_top=False, alpha=0.35
    )
    base_model.trainable = False
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.RandomFlip("horizontal")(inputs)
    x = keras.applications.mobilenet_v2.preprocess_input(x)
    x = base_model(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    assert len(model.trainable_weights) == 2
    x = RNG.integers(0, 256, (8, 32, 32, 3)).astype("float32")
    y = RNG.integers(0, 2, (8, 1)).astype("float32")
    frozen = [w.copy() for w in base_model.get_weights()]
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(base_model.get_weights(), frozen))
    base_model.trainable = True
    model.compile(
        optimizer=keras.optimizers.Adam(1e-5),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    assert len(model.trainable_weights) == len(base_model.trainable_weights) + 2
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    top = base_model.get_layer("Conv_1").kernel
    (before,) = [w for w, v in zip(frozen, base_model.weights) if v is top]
    assert not np.array_equal(top.numpy(), before)
    reload_and_compare(model, x, tmp_path)


def test_kgraph_compile_cli_on_a_vision_program(tmp_path):
    """``kgraph compile`` on a file that defines a fully convolutional super-resolution model:
    the ONNX file takes any image size and matches the model (``--verify``)."""
    program = tmp_path / "espcn.py"
    program.write_text(
        "import kgraph as keras\n"
        "from kgraph import layers, ops\n"
        "inputs = keras.Input((None, None, 1))\n"
        "x = layers.Conv2D(8, 5, activation='relu', padding='same')(inputs)\n"
        "x = layers.SeparableConv2D(4, 3, padding='same')(x)\n"
        "x = layers.UpSampling2D(2, interpolation='bilinear')(x)\n"
        "model = keras.Model(inputs, ops.depth_to_space(x, 2))\n"
    )
    out = tmp_path / "espcn.onnx"
    proc = subprocess.run(
        [sys.executable, "-m", "kgraph", "compile", str(program), "-o", str(out), "--verify"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout + proc.stderr
    import onnxruntime as ort

    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    image = RNG.random((1, 5, 7, 1)).astype("float32")
    (result,) = session.run(None, {session.get_inputs()[0].name: image})
    assert result.shape == (1, 20, 28, 1)
