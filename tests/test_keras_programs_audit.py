"""Short Keras 3 programs of the kind keras.io's guides and examples show, run unchanged with
``import kgraph as keras``: each one checks concrete results (shapes, numbers against numpy,
saved/loaded predictions, a loss that falls) so that a Keras habit kgraph breaks fails here."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers, ops

RNG = np.random.default_rng(3)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


def test_functional_multi_input_multi_output_with_loss_dicts(tmp_path):
    """The Functional API guide's ticket classifier: three inputs, two named outputs, loss and
    loss_weights dicts, dict data, and plot_model."""
    num_tags, num_words, num_departments = 12, 100, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 8)(title_input)
    body_features = layers.Embedding(num_words, 8)(body_input)
    title_features = layers.GlobalAveragePooling1D()(title_features)
    body_features = layers.GlobalAveragePooling1D()(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    model = keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs={"priority": priority_pred, "department": department_pred},
    )
    drawn = keras.utils.plot_model(model, str(tmp_path / "multi.png"), show_shapes=True)
    if shutil.which("dot"):
        assert (tmp_path / "multi.png").stat().st_size > 0
    else:  # without Graphviz: one line saying what to install, no file, the script goes on
        assert drawn is None and not (tmp_path / "multi.png").exists()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    n = 32
    title_data = RNG.integers(num_words, size=(n, 10))
    body_data = RNG.integers(num_words, size=(n, 20))
    tags_data = RNG.integers(2, size=(n, num_tags)).astype("float32")
    priority_targets = RNG.random(size=(n, 1))
    dept_targets = RNG.integers(2, size=(n, num_departments))
    history = model.fit(
        {"title": title_data, "body": body_data, "tags": tags_data},
        {"priority": priority_targets, "department": dept_targets},
        epochs=2,
        batch_size=16,
        verbose=0,
    )
    assert len(history.history["loss"]) == 2
    out = model.predict({"title": title_data, "body": body_data, "tags": tags_data}, verbose=0)
    assert out["priority"].shape == (n, 1) and out["department"].shape == (n, num_departments)


def test_sequential_guide_add_pop_summary_and_feature_extraction():
    """The Sequential guide: add/pop, summary, and a feature extractor over every layer."""
    model = keras.Sequential(name="my_sequential")
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu", name="layer1"))
    model.add(layers.Dense(3, activation="relu", name="layer2"))
    model.add(layers.Dense(4, name="layer3"))
    assert len(model.layers) == 3
    model.pop()
    assert len(model.layers) == 2
    lines = []
    model.summary(print_fn=lambda line, **kwargs: lines.append(line))
    text = "\n".join(lines)
    assert "layer1" in text and "layer2" in text and "Total params" in text
    assert model.count_params() == 4 * 2 + 2 + 2 * 3 + 3
    extractor = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = RNG.normal(size=(5, 4)).astype("float32")
    first, second = extractor(x)
    k1, b1 = model.get_layer("layer1").get_weights()
    k2, b2 = model.get_layer("layer2").get_weights()
    h = np.maximum(x @ k1 + b1, 0)
    np.testing.assert_allclose(ops.convert_to_numpy(first), h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ops.convert_to_numpy(second), np.maximum(h @ k2 + b2, 0), rtol=1e-5, atol=1e-6
    )
    one = keras.Model(inputs=model.inputs, outputs=model.get_layer(name="layer1").output)
    assert one(x).shape == (5, 2)


class CustomMSE(keras.losses.Loss):
    """The training guide's loss class with an extra penalty term."""

    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    """The training guide's stateful metric."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


def digits(n=256, classes=4, features=16):
    """Separable blobs: class means far apart, so a Dense model fits them in an epoch or two."""
    centers = RNG.normal(size=(classes, features)) * 3
    y = RNG.integers(classes, size=n)
    x = (centers[y] + RNG.normal(size=(n, features))).astype("float32")
    return x, y


def classifier(features=16, classes=4):
    inputs = keras.Input(shape=(features,), name="digits")
    x = layers.Dense(32, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def test_training_guide_custom_loss_metric_weights_and_callbacks(tmp_path):
    """The training & evaluation guide: custom loss/metric classes, class and sample weights,
    validation_split and a callbacks list with a learning-rate schedule."""
    x, y = digits()
    model = classifier()
    schedule = keras.optimizers.schedules.ExponentialDecay(
        0.05, decay_steps=10, decay_rate=0.9, staircase=True
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(), CategoricalTruePositives()],
    )
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2),
        keras.callbacks.ModelCheckpoint(
            filepath=str(tmp_path / "model_{epoch}.keras"), save_best_only=True, monitor="val_loss"
        ),
    ]
    history = model.fit(
        x, y, batch_size=32, epochs=2, validation_split=0.25, callbacks=callbacks, verbose=0
    )
    logs = history.history
    assert {"loss", "val_loss", "sparse_categorical_accuracy", "categorical_true_positives"} <= set(
        logs
    )
    assert logs["val_sparse_categorical_accuracy"][-1] > 0.8
    # As in Keras, labels of shape (batch,) against argmaxes of shape (batch, 1) broadcast:
    # the metric counts the pairs (i, j) of a batch with y[i] == argmax[j]
    result = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    hits = model.predict(x, verbose=0).argmax(1)
    want = sum((y[i : i + 32, None] == hits[None, i : i + 32]).sum() for i in range(0, 256, 32))
    assert result["categorical_true_positives"] == want
    assert (tmp_path / "model_1.keras").exists()
    restored = keras.models.load_model(
        tmp_path / "model_1.keras",
        custom_objects={"CategoricalTruePositives": CategoricalTruePositives},
    )
    assert restored.predict(x[:3], verbose=0).shape == (3, 4)

    # class_weight, sample_weight and a custom loss class
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, class_weight={0: 1.0, 1: 1.0, 2: 1.0, 3: 2.0}, epochs=1, verbose=0)
    weights = np.where(y == 3, 2.0, 1.0)
    model.fit(x, y, sample_weight=weights, epochs=1, verbose=0)
    model = classifier()
    model.compile(optimizer="adam", loss=CustomMSE())
    one_hot = keras.utils.to_categorical(y, num_classes=4)
    pred = model.predict(x, verbose=0)
    expected = np.mean((one_hot - pred) ** 2, -1) + 0.1 * np.mean((0.5 - pred) ** 2, -1)
    assert model.evaluate(x, one_hot, verbose=0) == pytest.approx(expected.mean(), rel=1e-4)


def test_reduce_lr_on_plateau_and_scheduler_change_the_rate():
    """ReduceLROnPlateau and LearningRateScheduler write the optimizer's rate, read back as a
    number, and History records it as "learning_rate"."""
    x, y = digits(64)
    model = classifier()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    seen = []
    model.fit(
        x,
        y,
        epochs=3,
        verbose=0,
        callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: seen.append(
                    float(ops.convert_to_numpy(model.optimizer.learning_rate))
                )
            ),
        ],
    )
    np.testing.assert_allclose(seen, [0.05, 0.025, 0.0125], rtol=1e-6)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    history = model.fit(
        x,
        y,
        epochs=3,
        verbose=0,
        callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0)],
    )
    assert "learning_rate" in history.history


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs


@keras.saving.register_keras_serializable(package="audit")
class Linear(layers.Layer):
    """The "making new layers" guide's Linear layer, registered for saving."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="audit", name="custom_fn")
def custom_fn(x):
    return x**2


def test_serialization_guide_registered_objects_round_trip(tmp_path):
    """Save/load with registered custom objects, get_config/from_config, weights files,
    to_json/model_from_json and clone_model all keep the predictions."""
    inputs = keras.Input(shape=(3,))
    x = Linear(4)(inputs)
    x = layers.Activation(custom_fn)(x)
    outputs = layers.Dense(2)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    data = RNG.normal(size=(6, 3)).astype("float32")
    model.fit(data, RNG.normal(size=(6, 2)), epochs=1, verbose=0)
    want = model.predict(data, verbose=0)
    w, b = model.layers[1].get_weights()
    k, c = model.layers[3].get_weights()
    np.testing.assert_allclose(want, (data @ w + b) ** 2 @ k + c, rtol=1e-4, atol=1e-5)

    model.save(tmp_path / "custom.keras")
    loaded = keras.models.load_model(tmp_path / "custom.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), want, rtol=1e-6)
    assert loaded.optimizer.__class__.__name__ == "Adam"
    assert keras.saving.get_registered_name(Linear) == "audit>Linear"

    rebuilt = keras.Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), want, rtol=1e-6)
    from_json = keras.models.model_from_json(model.to_json())
    model.save_weights(tmp_path / "model.weights.h5")
    from_json.load_weights(tmp_path / "model.weights.h5")
    np.testing.assert_allclose(from_json.predict(data, verbose=0), want, rtol=1e-6)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(data), want, rtol=1e-6)

    layer = Linear(4)
    layer.build((None, 3))
    copy = Linear.from_config(layer.get_config())
    assert copy.units == 4


class ComputeSum(layers.Layer):
    """A non-trainable weight updated in call, as in the custom layers guide."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


class CustomDropout(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


class MLPBlock(layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(8)
        self.linear_2 = Linear(1)

    def call(self, inputs):
        return self.linear_2(ops.relu(self.linear_1(inputs)))


def test_custom_layers_guide_weights_training_arg_and_nesting():
    x = np.ones((2, 2), "float32")
    my_sum = ComputeSum(2)
    np.testing.assert_allclose(ops.convert_to_numpy(my_sum(x)), [2.0, 2.0])
    np.testing.assert_allclose(ops.convert_to_numpy(my_sum(x)), [4.0, 4.0])
    assert len(my_sum.weights) == 1 and len(my_sum.non_trainable_weights) == 1

    mlp = MLPBlock()
    y = mlp(ops.ones(shape=(3, 64)))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 4 and len(mlp.trainable_weights) == 4

    drop = CustomDropout(0.5)
    data = np.ones((100, 10), "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(drop(data)), data)
    dropped = ops.convert_to_numpy(drop(data, training=True))
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0.3 < (dropped == 0).mean() < 0.7

    inputs = keras.Input(shape=(4,))
    out = ActivityRegularizationLayer()(layers.Dense(3)(inputs))
    model = keras.Model(inputs, out)
    model.compile(optimizer="sgd", loss="mse")
    batch = RNG.normal(size=(8, 4)).astype("float32")
    target = np.zeros((8, 3), "float32")
    pred = model.predict(batch, verbose=0)
    want = np.mean(pred**2) + 0.1 * pred.sum()
    assert model.evaluate(batch, target, batch_size=8, verbose=0) == pytest.approx(want, rel=1e-4)


class MaskedMean(layers.Layer):
    """Averages the unmasked time steps: a mask-consuming layer as in the masking guide."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        return ops.sum(inputs * weights, axis=1) / ops.sum(weights, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None


def test_masking_guide_embedding_mask_to_a_custom_layer():
    """Embedding(mask_zero=True).compute_mask, passed to a mask-consuming layer by hand, as the
    Keras masking guide's first example does."""
    raw = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    padded = keras.utils.pad_sequences(raw, padding="post")
    assert padded.shape == (3, 6) and padded[0, 3] == 0
    embedding = layers.Embedding(input_dim=5000, output_dim=4, mask_zero=True)
    mask = embedding.compute_mask(padded)
    np.testing.assert_array_equal(ops.convert_to_numpy(mask), padded != 0)
    assert layers.Embedding(10, 2).compute_mask(padded) is None
    inputs = keras.Input(shape=(None,), dtype="int32")
    outputs = MaskedMean()(embedding(inputs), mask=inputs != 0)
    model = keras.Model(inputs, outputs)
    table = embedding.get_weights()[0]
    got = model.predict(padded, verbose=0)
    want = [table[row[row != 0]].mean(0) for row in padded]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_timeseries_classification_conv1d():
    """The FordA example's fully convolutional network on a toy task (sign of a trend)."""
    n, steps = 128, 40
    slope = RNG.choice([-1.0, 1.0], size=n)
    t = np.linspace(0, 1, steps)
    x = (slope[:, None] * t + 0.3 * RNG.normal(size=(n, steps)))[..., None].astype("float32")
    y = (slope > 0).astype("int32")
    input_layer = keras.layers.Input(x.shape[1:])
    conv = input_layer
    for _ in range(2):
        conv = layers.Conv1D(filters=8, kernel_size=3, padding="same")(conv)
        conv = layers.BatchNormalization()(conv)
        conv = layers.ReLU()(conv)
    gap = layers.GlobalAveragePooling1D()(conv)
    output_layer = layers.Dense(2, activation="softmax")(gap)
    model = keras.Model(inputs=input_layer, outputs=output_layer)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x[:5], verbose=0).shape == (5, 2)
    _, test_acc = model.evaluate(x, y, verbose=0)
    assert test_acc > 0.7


def test_text_classification_embedding_pooling():
    """Embedding + GlobalAveragePooling1D on integer sequences (the IMDB-style bag of words)."""
    vocab, length, n = 50, 12, 200
    y = RNG.integers(2, size=n)
    # positive reviews use words 1-24 more, negative ones 25-49
    low = RNG.integers(1, 25, size=(n, length))
    high = RNG.integers(25, 50, size=(n, length))
    pick = RNG.random(size=(n, length)) < np.where(y[:, None] == 1, 0.8, 0.2)
    x = np.where(pick, low, high)
    model = keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int64"),
            layers.Embedding(vocab, 16),
            layers.GlobalAveragePooling1D(),
            layers.Dropout(0.2),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=3, validation_data=(x[:40], y[:40]), verbose=0)
    assert history.history["val_accuracy"][-1] > 0.8
    assert model.predict(x[:4, :5], verbose=0).shape == (4, 1)


def test_mnist_convnet_style():
    """The simple MNIST convnet example on random 12x12 images with a learnable label."""
    n = 96
    x = RNG.random(size=(n, 12, 12)).astype("float32")
    y = (x[:, :6].mean((1, 2)) > x[:, 6:].mean((1, 2))).astype("int64")
    x = np.expand_dims(x, -1)
    y = keras.utils.to_categorical(y, 2)
    model = keras.Sequential(
        [
            keras.Input(shape=(12, 12, 1)),
            layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)[0]
    model.fit(x, y, batch_size=16, epochs=3, validation_split=0.1, verbose=0)
    score = model.evaluate(x, y, verbose=0)
    assert score[0] < before


def test_conv_autoencoder_with_transposed_convs():
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(4, (3, 3), activation="relu", padding="same")(inputs)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(4, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(inputs, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    images = RNG.random(size=(32, 8, 8, 1)).astype("float32")
    history = autoencoder.fit(images, images, epochs=3, batch_size=8, shuffle=True, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert autoencoder.predict(images[:2], verbose=0).shape == (2, 8, 8, 1)
    assert autoencoder.layers[3].compute_output_shape((None, 4, 4, 4)) == (None, 8, 8, 4)


def test_transfer_learning_freeze_then_fine_tune():
    """The transfer learning guide: a frozen base called with training=False (its
    BatchNormalization stays in inference mode), a new head, then fine-tuning."""
    base_model = keras.Sequential(
        [
            keras.Input(shape=(6,)),
            layers.Dense(8, activation="relu"),
            layers.BatchNormalization(),
        ],
        name="base",
    )
    base_model.trainable = False
    assert base_model.trainable_weights == []
    inputs = keras.Input(shape=(6,))
    x = base_model(inputs, training=False)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    assert len(model.trainable_weights) == 2
    frozen = [w.copy() for w in base_model.get_weights()]
    x_data = RNG.normal(size=(32, 6)).astype("float32")
    y_data = RNG.normal(size=(32, 1)).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.MeanSquaredError())
    model.fit(x_data, y_data, epochs=1, verbose=0)
    for before, after in zip(frozen, base_model.get_weights()):
        np.testing.assert_array_equal(before, after)

    base_model.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=keras.losses.MeanSquaredError())
    model.fit(x_data, y_data, epochs=1, verbose=0)
    kernel_after = base_model.layers[0].get_weights()[0]
    assert not np.array_equal(kernel_after, frozen[0])
    # called with training=False, the BatchNormalization keeps its moving statistics
    np.testing.assert_array_equal(base_model.layers[1].get_weights()[2], frozen[4])


class MyModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense1 = layers.Dense(8, activation="relu")
        self.dense2 = layers.Dense(1)
        self.dropout = layers.Dropout(0.5)

    def call(self, inputs, training=False):
        x = self.dense1(inputs)
        x = self.dropout(x, training=training)
        return self.dense2(x)


def test_subclassed_model_fits_and_evaluates_with_return_dict():
    model = MyModel()
    x = RNG.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(result) == {"loss", "mae"}
    pred = model.predict(x, verbose=0)
    assert result["mae"] == pytest.approx(np.abs(pred - y).mean(), rel=1e-4)


def test_preprocessing_layers_normalization_adapt_and_augmentation():
    data = RNG.normal(loc=5.0, scale=2.0, size=(100, 3)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(data)
    out = ops.convert_to_numpy(norm(data))
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(0), 1, atol=1e-3)
    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.Rescaling(1.0 / 255)])
    images = RNG.integers(0, 256, size=(4, 5, 5, 3)).astype("float32")
    np.testing.assert_allclose(
        ops.convert_to_numpy(augmentation(images, training=False)), images / 255, rtol=1e-6
    )
    flipped = ops.convert_to_numpy(augmentation(images, training=True)) * 255
    for got, image in zip(flipped, images):
        assert np.allclose(got, image, rtol=1e-5) or np.allclose(got, image[:, ::-1], rtol=1e-5)


def test_clone_model_new_weights_shared_layers_and_clone_function():
    """keras.models.clone_model: new layers with fresh weights, a shared layer stays shared,
    clone_function/input_tensors as in Keras, and set_weights makes the clone predict alike."""
    inputs = keras.Input(shape=(3,), name="x")
    shared = layers.Dense(4, name="shared")
    hidden = layers.Dense(4, name="hidden")(inputs)
    outputs = shared(ops.relu(hidden)) + shared(hidden)
    model = keras.Model(inputs, outputs)
    clone = keras.models.clone_model(model)
    assert len(clone.weights) == len(model.weights) == 4
    assert clone.get_layer("shared") is not shared
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])
    clone.set_weights(model.get_weights())
    x = RNG.normal(size=(5, 3)).astype("float32")
    k1, b1, k2, b2 = model.get_weights()
    h = x @ k1 + b1
    want = np.maximum(h, 0) @ k2 + b2 + h @ k2 + b2
    np.testing.assert_allclose(clone.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)

    stack = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2), layers.Dense(1)])

    def renamed(layer):
        return layer.__class__.from_config({**layer.get_config(), "name": "new_" + layer.name})

    copy = keras.models.clone_model(stack, clone_function=renamed)
    assert [layer.name for layer in copy.layers] == ["new_" + lay.name for lay in stack.layers]
    on_new_input = keras.models.clone_model(stack, input_tensors=keras.Input(shape=(3,)))
    assert on_new_input.predict(x, verbose=0).shape == (5, 1)
    with pytest.raises(ValueError, match="only supported for Sequential or Functional"):
        keras.models.clone_model(MyModel(), clone_function=renamed)


class MinimalRNNCell(layers.Layer):
    """The RNN guide's custom cell (Keras' cell contract: state_size, call(inputs, states))."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
        )

    def call(self, inputs, states):
        prev_output = states[0]
        output = ops.matmul(inputs, self.kernel) + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def test_rnn_guide_custom_cell_runs_and_trains():
    """keras.layers.RNN around a user's cell (its steps run as one ONNX Scan)."""
    cell = MinimalRNNCell(4)
    inputs = keras.Input((3, 5))
    sequences, state = layers.RNN(cell, return_sequences=True, return_state=True)(inputs)
    model = keras.Model(inputs, [sequences, state])
    data = RNG.normal(size=(2, 3, 5)).astype("float32")
    kernel, recurrent = cell.get_weights()
    h, steps = np.zeros((2, 4)), []
    for t in range(3):
        h = data[:, t] @ kernel + h @ recurrent
        steps.append(h)
    got_sequences, got_state = model.predict(data, verbose=0)
    np.testing.assert_allclose(got_sequences, np.stack(steps, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, h, rtol=1e-5, atol=1e-6)
    keras.utils.set_random_seed(0)  # a linear recurrence: SGD at 0.1 diverged for some draws
    head = keras.Sequential([keras.Input((3, 5)), layers.RNN(MinimalRNNCell(4)), layers.Dense(1)])
    head.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    target = data.sum((1, 2))[:, None]
    history = head.fit(data, target, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_summary_show_trainable_and_aligned_borders():
    """summary(show_trainable=True) adds Keras' Trainable column (Y / N / - without weights),
    and long references in "Connected to" keep every table line the same width."""
    inputs = keras.Input((3,), name="a_rather_long_input_name")
    left = layers.Dense(2, name="frozen")(inputs)
    right = layers.Dense(2, name="live")(inputs)
    model = keras.Model(inputs, layers.add([left, right], name="sum"))
    model.get_layer("frozen").trainable = False
    lines = []
    model.summary(show_trainable=True, print_fn=lines.append)
    table = [line for line in lines if line[:1] in "┏┃┡│├└"]
    assert len({len(line) for line in table}) == 1
    assert table[1].split("┃")[-2].strip() == "Trainable"
    marks = {
        line.split("│")[1].split()[0]: line.split("│")[-2].strip()
        for line in table
        if line.startswith("│") and line.split("│")[1].strip()
    }
    assert marks == {"a_rather_long_input_name": "-", "frozen": "N", "live": "Y", "sum": "-"}


def test_config_backend_and_unsafe_deserialization(tmp_path, monkeypatch):
    """keras.config / keras.backend as Keras programs use them, and the serialization guide's
    enable_unsafe_deserialization() letting a Lambda model load (safe mode refuses it)."""
    from kgraph.saving import serialization_lib

    assert keras.config.floatx() == keras.backend.floatx() == "float32"
    assert keras.backend.epsilon() == 1e-7 and keras.config.image_data_format() == "channels_last"
    assert keras.backend.result_type("int32", "float32") == "float32"
    assert keras.backend.is_keras_tensor(keras.Input((2,)))
    assert keras.Loss is keras.losses.Loss and keras.Metric is keras.metrics.Metric
    with pytest.raises(ValueError, match="float32"):
        keras.config.set_floatx("float16")
    with pytest.raises(ValueError, match="channels_last"):
        keras.config.set_image_data_format("channels_first")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Lambda(lambda t: t * 3)])
    data = RNG.normal(size=(4, 3)).astype("float32")
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="safe_mode"):
        keras.models.load_model(tmp_path / "lambda.keras")
    monkeypatch.setattr(serialization_lib, "_UNSAFE_EVERYWHERE", [False])  # undone afterwards
    keras.config.enable_unsafe_deserialization()
    loaded = keras.models.load_model(tmp_path / "lambda.keras")
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(
        loaded.predict(data, verbose=0), (data @ kernel + bias) * 3, rtol=1e-5, atol=1e-6
    )


class HookRecorder(keras.callbacks.Callback):
    """The "writing your own callbacks" guide's logger: which hooks run, with which log keys."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("train_batch", batch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch", epoch, sorted(logs)))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_batch", batch, sorted(logs)))

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append(("predict_batch", batch, logs["outputs"]))


def test_callbacks_guide_hooks_and_model_input_output():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mean_absolute_error"])
    x = RNG.random((20, 4)).astype("float32")
    y = RNG.random((20, 1)).astype("float32")
    recorder = HookRecorder()
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[recorder])
    model.evaluate(x, y, batch_size=10, verbose=0, callbacks=[recorder])
    predicted = model.predict(x, batch_size=8, verbose=0, callbacks=[recorder])
    keys = ["loss", "mean_absolute_error"]
    assert recorder.calls[:3] == [
        ("train_batch", 0, keys),
        ("train_batch", 1, keys),
        ("epoch", 0, keys),
    ]
    assert recorder.calls[3:5] == [("test_batch", 0, keys), ("test_batch", 1, keys)]
    batches = recorder.calls[5:]
    assert [(c[0], c[1], len(c[2])) for c in batches] == [
        ("predict_batch", 0, 8),
        ("predict_batch", 1, 8),
        ("predict_batch", 2, 4),
    ]
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(predicted, x @ kernel + bias, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.concatenate([c[2] for c in batches]), predicted)

    # model.input / model.output as the functional guide uses them
    assert model.input is model.inputs[0] and model.output is model.outputs[0]
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    two = keras.Model([a, b], [layers.Dense(1)(a), layers.Dense(1)(b)])
    assert two.input == [a, b] and len(two.output) == 2
    reuse = keras.Model(two.input, layers.add(two.output))
    assert reuse.predict([x[:, :3], x[:, :2]], verbose=0).shape == (20, 1)


def test_sequential_config_with_registered_layer_round_trips():
    model = keras.Sequential([keras.Input((3,)), Linear(2), layers.Activation(custom_fn)])
    data = RNG.normal(size=(4, 3)).astype("float32")
    for rebuilt in (
        keras.Sequential.from_config(model.get_config()),
        keras.models.model_from_json(model.to_json()),
    ):
        rebuilt.set_weights(model.get_weights())
        np.testing.assert_allclose(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0))
    w, b = model.get_weights()
    np.testing.assert_allclose(
        model.predict(data, verbose=0), (data @ w + b) ** 2, rtol=1e-5, atol=1e-6
    )


def test_lambda_callback_reads_live_weights_under_a_piecewise_schedule():
    """A LambdaCallback's batch hook sees each step's weights (it saw the initial ones), and
    PiecewiseConstantDecay switches the rate after its boundary step, as in Keras."""
    model = keras.Sequential(
        [keras.Input((1,)), layers.Dense(1, use_bias=False, kernel_initializer="ones")]
    )
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([2], [0.1, 0.01])
    model.compile(keras.optimizers.SGD(schedule), "mse")
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(model.get_weights()[0][0, 0])
    )
    model.fit(np.ones((4, 1)), np.zeros((4, 1)), batch_size=1, verbose=0, callbacks=[record])
    w, want = 1.0, []
    for step in range(4):  # mse of w * 1 against 0: gradient 2w
        w -= (0.1 if step <= 2 else 0.01) * 2 * w
        want.append(w)
    np.testing.assert_allclose(seen, want, rtol=1e-6)


def test_text_classification_with_text_vectorization_in_the_pipeline():
    """keras.io's text classification from scratch: TextVectorization adapted on the texts,
    applied in Dataset.map, an Embedding model trained on the integer sequences."""
    texts = np.array(
        ["A great, GREAT movie!", "Awful plot.", "great acting", "awful, awful film"] * 8
    )
    labels = np.array([1, 0, 1, 0] * 8)
    vectorize_layer = layers.TextVectorization(
        max_tokens=8, output_mode="int", output_sequence_length=4
    )
    vectorize_layer.adapt(keras.utils.Dataset.from_tensor_slices(texts).batch(5))
    # counts: great, awful 16; a, movie, plot, acting, film 8 (ties: larger first; "a" is cut)
    assert vectorize_layer.get_vocabulary() == [
        "", "[UNK]", "great", "awful", "plot", "movie", "film", "acting",
    ]  # fmt: skip
    np.testing.assert_array_equal(
        vectorize_layer(texts[:4]), [[1, 2, 2, 5], [3, 4, 0, 0], [2, 7, 0, 0], [3, 3, 6, 0]]
    )
    ds = keras.utils.Dataset.from_tensor_slices((texts, labels)).batch(8)
    ds = ds.map(lambda x, y: (vectorize_layer(x), y))
    model = keras.Sequential(
        [
            keras.Input((4,), dtype="int64"),
            layers.Embedding(8, 4),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(ds, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    counts = layers.TextVectorization(output_mode="count", ngrams=2, standardize="lower")
    counts.adapt(["b a b"])
    assert counts.get_vocabulary() == ["[UNK]", "b", "b a", "a b", "a"]  # ties: larger first
    # a b b x: x, "b b" and "b x" are out of the vocabulary
    np.testing.assert_array_equal(counts(["a b b x"]), [[3, 2, 0, 1, 1]])
    strings = keras.Input((1,), dtype="string")  # compiled: an end-to-end model takes text
    end_to_end = keras.Model(strings, vectorize_layer(strings))
    np.testing.assert_array_equal(
        end_to_end.predict(texts[:4, None], verbose=0),
        [[1, 2, 2, 5], [3, 4, 0, 0], [2, 7, 0, 0], [3, 3, 6, 0]],
    )


def test_on_batch_calls_and_reset_metrics():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    model.reset_metrics()  # before anything ran: nothing to reset
    x = np.array([[1.0, 2.0], [3.0, -1.0]], "float32")
    y = np.array([[1.0], [0.0]], "float32")
    kernel, bias = model.get_weights()
    error = x @ kernel + bias - y
    result = model.test_on_batch(x, y, return_dict=True)
    assert result["loss"] == pytest.approx(np.mean(error**2), rel=1e-5)
    assert result["mae"] == pytest.approx(np.mean(np.abs(error)), rel=1e-5)
    model.train_on_batch(x, y, reset_metrics=True)
    model.reset_metrics()
    with pytest.raises(ValueError, match="reset_metrics=False"):
        model.train_on_batch(x, y, reset_metrics=False)


class ScaledProjection(layers.Layer):
    """A user layer with constructor arguments and no get_config (Keras configs it itself)."""

    def __init__(self, units=3, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.scale = units, scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")

    def call(self, x):
        return ops.matmul(x, self.w) * self.scale


def test_layer_without_get_config_saves_its_constructor_arguments(tmp_path):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, ScaledProjection(4, scale=3.0, name="proj")(inputs))
    assert model.get_layer("proj").get_config() == {
        "units": 4, "scale": 3.0, "name": "proj", "trainable": True, "dtype": "float32",
    }  # fmt: skip
    model.save(tmp_path / "auto.keras")
    loaded = keras.models.load_model(
        tmp_path / "auto.keras", custom_objects={"ScaledProjection": ScaledProjection}
    )
    layer = loaded.get_layer("proj")
    assert (layer.units, layer.scale) == (4, 3.0)
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), [[6.0] * 4])
    # a non-plain argument (a layer) turns the automatic config off, as in Keras
    assert "inner" not in CustomRNNLike(layers.Dense(1)).get_config()


class CustomRNNLike(layers.Layer):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner


class Regressor(keras.Model):
    """A subclassed model with a plain constructor argument and no get_config."""

    def __init__(self, hidden=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.d1 = layers.Dense(hidden, activation="relu")
        self.d2 = layers.Dense(1)

    def call(self, x):
        return self.d2(self.d1(x))


def test_subclassed_model_without_get_config_round_trips(tmp_path):
    model = Regressor(hidden=7)
    x = RNG.normal(size=(3, 2)).astype("float32")
    want = model.predict(x, verbose=0)
    assert model.get_config() == {"hidden": 7, "name": model.name, "trainable": True}
    model.save(tmp_path / "regressor.keras")
    loaded = keras.models.load_model(
        tmp_path / "regressor.keras", custom_objects={"Regressor": Regressor}
    )
    assert loaded.hidden == 7
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6)
    k1, b1, k2, b2 = model.get_weights()
    np.testing.assert_allclose(want, np.maximum(x @ k1 + b1, 0) @ k2 + b2, rtol=1e-5, atol=1e-6)


class LearnedScale(layers.Layer):
    """A keras.Variable assigned as an attribute is one of the layer's weights, as in Keras."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = keras.Variable(np.array(2.0, "float32"), name="scale")

    def call(self, x):
        return x * self.scale


def test_variable_attribute_is_tracked_trained_and_saved(tmp_path):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, LearnedScale(name="ls")(inputs))
    assert [w.path for w in model.weights] == ["ls/scale"]
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(np.ones((4, 2)), np.zeros((4, 2)), batch_size=4, verbose=0)
    # mse of s against 0 with x = 1: gradient 2s, one step from 2.0
    np.testing.assert_allclose(model.get_weights()[0], 2.0 - 0.1 * 4.0, rtol=1e-6)
    model.save(tmp_path / "scale.keras")
    loaded = keras.models.load_model(
        tmp_path / "scale.keras", custom_objects={"LearnedScale": LearnedScale}
    )
    np.testing.assert_allclose(loaded.predict(np.ones((1, 2)), verbose=0), [[1.6, 1.6]])


def test_direct_build_call_marks_the_layer_built():
    """layer.build(shape) called by the user marks the layer built (Keras' build wrapper), so
    its first call does not build it again with a second set of weights."""
    layer = Linear(2)
    layer.build((None, 3))
    assert layer.built and len(layer.weights) == 2
    w, b = layer.get_weights()
    x = RNG.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), x @ w + b, rtol=1e-5, atol=1e-6)
    assert len(layer.weights) == 2
