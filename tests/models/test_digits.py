"""The seed CNN learns scikit-learn's bundled 8x8 digits, upscaled to MNIST's 28x28: at least
95% validation accuracy within a few epochs of Adam, in History and by numpy on predict()."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers

datasets = pytest.importorskip("sklearn.datasets")
model_selection = pytest.importorskip("sklearn.model_selection")


def digits_28x28():
    """Digits as (n, 28, 28, 1) float32 in [0, 1]: each pixel 3x3, then a 2-pixel border."""
    digits = datasets.load_digits()
    images = np.kron(digits.images, np.ones((3, 3)))  # (n, 24, 24)
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))[..., None] / 16.0
    return images.astype(np.float32), digits.target


def seed_cnn():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def test_seed_cnn_learns_digits():
    x, y = digits_28x28()
    assert x.shape == (1797, 28, 28, 1) and x.min() == 0.0 and x.max() == 1.0
    x_train, x_val, y_train, y_val = model_selection.train_test_split(
        x, y, test_size=0.2, stratify=y, shuffle=True, random_state=0
    )
    keras.utils.set_random_seed(2)
    model = seed_cnn()
    model.compile(
        keras.optimizers.Adam(5e-4), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(
        x_train, y_train, batch_size=32, epochs=6, validation_data=(x_val, y_val), verbose=0
    )
    logs = history.history
    assert set(logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert logs["loss"][-1] < logs["loss"][0] / 3
    assert logs["val_accuracy"][-1] >= 0.95
    probabilities = model.predict(x_val)
    assert probabilities.shape == (len(x_val), 10)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
    accuracy = np.mean(np.argmax(probabilities, axis=-1) == y_val)
    assert accuracy >= 0.95
    assert accuracy == pytest.approx(logs["val_accuracy"][-1], abs=1e-6)
    val_loss = -np.mean(np.log(probabilities[np.arange(len(y_val)), y_val]))
    assert val_loss == pytest.approx(logs["val_loss"][-1], rel=1e-4)
