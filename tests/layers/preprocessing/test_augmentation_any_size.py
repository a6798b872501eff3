"""The geometric augmentation layers in models that take images of any size
(``Input((None, None, 3))``): the transforms are built from the sizes read at run time, and
give what the same layer gives on statically shaped images."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers, ops

RNG = np.random.default_rng(12)

# fixed factors (lower == upper) make the draws deterministic, so graphs can be compared
LAYERS = [
    (layers.RandomRotation, dict(factor=(0.1, 0.1))),
    (layers.RandomRotation, dict(factor=(-0.2, -0.2), fill_mode="wrap", interpolation="nearest")),
    (layers.RandomZoom, dict(height_factor=(-0.3, -0.3), width_factor=(0.2, 0.2))),
    (layers.RandomTranslation, dict(height_factor=(0.1, 0.1), width_factor=(-0.3, -0.3))),
    (
        layers.RandomTranslation,
        dict(height_factor=(0.2, 0.2), width_factor=0, fill_mode="constant"),
    ),
]


@pytest.mark.parametrize("cls, kwargs", LAYERS, ids=lambda v: getattr(v, "__name__", ""))
def test_geometric_augmentation_of_images_of_any_size(cls, kwargs):
    inputs = kgraph.Input((None, None, 3))
    model = kgraph.Model(inputs, cls(**kwargs, seed=1)(inputs, training=True))
    assert model.output_shape == (None, None, None, 3)
    for shape in [(2, 9, 7, 3), (1, 12, 20, 3)]:
        x = RNG.random(shape).astype("float32")
        expected = ops.convert_to_numpy(cls(**kwargs, seed=1)(x, training=True))
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_augmented_fully_convolutional_model_trains_on_two_image_sizes():
    inputs = kgraph.Input((None, None, 3))
    x = layers.RandomFlip()(inputs)
    x = layers.RandomRotation(0.1)(x)
    x = layers.RandomZoom(0.1)(x)
    x = layers.RandomTranslation(0.1, 0.1)(x)
    x = layers.Conv2D(4, 3, padding="same")(x)
    model = kgraph.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling2D()(x)))
    model.compile(optimizer="sgd", loss="mse")
    for shape in [(4, 9, 7, 3), (4, 16, 5, 3)]:
        history = model.fit(RNG.random(shape).astype("float32"), np.zeros((4, 1)), verbose=0)
        assert np.isfinite(history.history["loss"]).all()
