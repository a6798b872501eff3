"""Oracle: one image file decoded and resized as ``image_dataset_from_directory`` does equals
Keras 3's own loader for its TensorFlow-free path (Pillow decoding + ``ops.image.resize`` on
JAX), for PNG files, every colour mode, the resize methods, cropping and channels first."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from kgraph.utils.image_utils import load_resized
from tests.oracle.keras_oracle import MARKS

pytestmark = MARKS


@pytest.fixture(scope="module")
def png(tmp_path_factory):
    path = tmp_path_factory.mktemp("png") / "image.png"
    pixels = np.random.default_rng(0).integers(0, 256, (13, 10, 4), dtype=np.uint8)
    Image.fromarray(pixels, "RGBA").save(path)
    return str(path)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_channels": 1},
        {"num_channels": 4},
        {"interpolation": "nearest"},
        {"interpolation": "lanczos3"},
        {"image_size": (26, 20)},
        {"crop_to_aspect_ratio": True},
        {"data_format": "channels_first"},
    ],
)
def test_decode_and_resize_match_keras(png, kwargs):
    from keras.src.utils.image_dataset_utils import _load_image_grain

    args = {
        "image_size": (7, 15),
        "num_channels": 3,
        "interpolation": "bilinear",
        "data_format": "channels_last",
        **kwargs,
    }
    expected = np.asarray(_load_image_grain(png, **args))
    got = load_resized(png, **args)
    assert got.shape == expected.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=2e-3)
