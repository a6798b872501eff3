"""Oracle: the colour augmentation layers apply the same transformation as Keras' do when both
get the same random parameters."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS
RNG = np.random.default_rng(8)
N = 4


def _images():
    return RNG.uniform(0, 255, (N, 5, 6, 3)).astype(np.float32)


def _column(values):
    return np.asarray(values, np.float32).reshape(N, 1, 1, 1)


CASES = [  # layer, kwargs, our transformation, Keras' transformation
    (
        "RandomGrayscale",
        {},
        {"apply": _column([1, 0, 1, 0]).astype(bool)},
        _column([1, 0, 1, 0]).astype(bool),
    ),
    (
        "RandomHue",
        {"factor": 0.5},
        {"factor": _column([0.1, -0.2, 0.3, -0.05])},
        {"factor": np.array([0.1, -0.2, 0.3, -0.05], np.float32)},
    ),
    (
        "Solarization",
        {"addition_factor": 0.2, "threshold_factor": 0.5},
        {"additions": _column([0, 10, 30, 50]), "thresholds": _column([100, 20, 128, 250])},
        {"additions": _column([0, 10, 30, 50]), "thresholds": _column([100, 20, 128, 250])},
    ),
    (
        "RandomInvert",
        {},
        {"apply_inversion": _column([1, 0, 0, 1]).astype(bool)},
        {"apply_inversion": np.array([1, 0, 0, 1], bool)},
    ),
    (
        "RandomPosterization",
        {"factor": (2, 6)},
        {"shift_factor": _column([6, 4, 2, 3])},
        {"shift_factor": np.array([6, 4, 2, 3], np.uint8)},
    ),
    (
        "RandomSharpness",
        {"factor": 0.5},
        {"factor": _column([0.0, 0.25, 0.5, 1.0])},
        {"factor": np.array([0.0, 0.25, 0.5, 1.0], np.float32)},
    ),
    (
        "RandomColorDegeneration",
        {"factor": 0.5},
        {"factor": _column([0.0, 0.3, 0.5, 1.0])},
        {"factor": _column([0.0, 0.3, 0.5, 1.0])},
    ),
]


@pytest.mark.parametrize("name, kwargs, ours, theirs", CASES, ids=[c[0] for c in CASES])
def test_same_transformation_same_images(name, kwargs, ours, theirs):
    x = _images()
    got = getattr(kgraph.layers, name)(**kwargs).transform_images(x, ours)
    expected = getattr(keras.layers, name)(**kwargs).transform_images(x, theirs, training=True)
    np.testing.assert_allclose(got, np.asarray(expected), atol=2e-3)


def test_auto_contrast():
    x = RNG.uniform(20, 200, (2, 5, 6, 3)).astype(np.float32)
    got = kgraph.layers.AutoContrast()(x)
    np.testing.assert_allclose(got, np.asarray(keras.layers.AutoContrast()(x)), atol=1e-3)


@pytest.mark.slow  # Keras' JAX histogram loops over the bins: about 15 s a case
@pytest.mark.parametrize("value_range, data_format", [((0, 255), None), ((0, 1), "channels_first")])
def test_equalization(value_range, data_format):
    x = RNG.uniform(30, 120, (3, 5, 6, 3)).astype(np.float32) / (255 / value_range[1])
    if data_format:
        x = x.transpose(0, 3, 1, 2)
    kwargs = dict(value_range=value_range, data_format=data_format)
    got = kgraph.layers.Equalization(**kwargs)(x)
    np.testing.assert_allclose(got, np.asarray(keras.layers.Equalization(**kwargs)(x)), atol=1e-4)


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((2, 16, 16, 3), {}),
        pytest.param(
            (2, 19, 13, 3), dict(tile_grid_size=(4, 3), clip_limit=2.0), marks=pytest.mark.slow
        ),
        pytest.param(
            (1, 10, 12, 1), dict(clip_limit=0.0, tile_grid_size=(2, 2)), marks=pytest.mark.slow
        ),
    ],
    ids=["default", "padded_tiles", "no_clip"],
)
def test_clahe(shape, kwargs):
    x = RNG.uniform(30, 200, shape).astype(np.float32)
    name = "ContrastLimitedAdaptiveHistogramEqualization"
    inputs = kgraph.Input(shape[1:])
    model = kgraph.Model(inputs, getattr(kgraph.layers, name)(**kwargs)(inputs))
    expected = np.asarray(getattr(keras.layers, name)(**kwargs)(x))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-3)
