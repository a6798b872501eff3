"""Oracle: resizing equals Keras' ``ops.image.resize`` on JAX (half-pixel centres, with and
without antialias), the arithmetic Keras' ``image_dataset_from_directory`` uses via
``tf.image.resize``."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph.utils import image_resize
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS


@pytest.mark.parametrize("method", ["bilinear", "nearest", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("size", [(31, 17), (6, 30)])
def test_resize_matches_keras(method, antialias, size):
    img = np.random.default_rng(3).uniform(0, 255, (13, 11, 3)).astype(np.float32)
    expected = np.asarray(
        keras.ops.image.resize(img[None], size, interpolation=method, antialias=antialias)
    )[0]
    got = image_resize.resize(img, size, method, antialias)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-3)


@pytest.mark.parametrize("size", [(31, 17), (6, 5)])
def test_bicubic_matches_keras(size):
    img = np.random.default_rng(4).uniform(0, 255, (13, 11, 3)).astype(np.float32)
    expected = np.asarray(keras.ops.image.resize(img[None], size, interpolation="bicubic"))[0]
    # Antialiased bicubic is the same kernel; without it TensorFlow reads the Keys
    # coefficients from a 1024-entry table, which moves values by well under one grey level.
    np.testing.assert_allclose(image_resize.resize(img, size, "bicubic"), expected, atol=0.3)
    expected_aa = np.asarray(
        keras.ops.image.resize(img[None], size, interpolation="bicubic", antialias=True)
    )[0]
    np.testing.assert_allclose(
        image_resize.resize(img, size, "bicubic", antialias=True), expected_aa, atol=2e-3
    )
