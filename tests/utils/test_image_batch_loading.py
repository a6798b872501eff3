"""Batches decoded straight into one preallocated array (``load_resized_batch``, ``out=``) hold
the same values as TensorFlow's resize formula and as resizing float copies of the images."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
from PIL import Image

from kgraph.utils import image_resize
from kgraph.utils.image_utils import load_resized, load_resized_batch
from tests.utils.conftest import write_images
from tests.utils.test_image_resize import _bilinear_reference

METHODS = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "gaussian", "mitchellcubic"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("oh,ow", [(5, 4), (20, 23), (12, 4), (12, 10)])
def test_uint8_input_and_out_view_give_the_float32_results(method, oh, ow):
    pixels = np.random.default_rng(3).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    expected = image_resize.resize(pixels.astype(np.float32), (oh, ow), method)
    got = image_resize.resize(pixels, (oh, ow), method)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    # A strided slot (channels-first batch seen as height, width, channels), pre-filled.
    batch = np.full((2, 3, oh, ow), np.nan, np.float32)
    slot = batch[1].transpose(1, 2, 0)
    assert image_resize.resize(pixels, (oh, ow), method, out=slot) is slot
    np.testing.assert_array_equal(batch[1].transpose(1, 2, 0), expected)
    assert np.isnan(batch[0]).all()


@pytest.fixture
def files(tmp_path):
    root = write_images(tmp_path / "jpegs", {"a": 3}, size=(12, 10), fmt="jpg")
    return sorted(glob.glob(os.path.join(root, "a", "*.jpg")))


def test_batch_matches_tensorflow_bilinear_formula(files):
    batch = load_resized_batch(files, (7, 15), 3)
    assert batch.shape == (3, 7, 15, 3) and batch.dtype == np.float32
    first = load_resized_batch(files, (7, 15), 3, data_format="channels_first")
    assert first.shape == (3, 3, 7, 15) and first.flags.c_contiguous
    for path, image, planes in zip(files, batch, first):
        source = np.asarray(Image.open(path).convert("RGB"), np.float64)
        np.testing.assert_allclose(image, _bilinear_reference(source, 7, 15), atol=1e-3)
        np.testing.assert_array_equal(planes, image.transpose(2, 0, 1))


@pytest.mark.parametrize(
    "options",
    [
        {"crop_to_aspect_ratio": True},
        {"pad_to_aspect_ratio": True},
        {"interpolation": "bicubic", "data_format": "channels_first"},
        {"interpolation": "nearest", "pad_to_aspect_ratio": True},
    ],
)
@pytest.mark.parametrize("channels", [1, 3])
def test_batch_equals_images_loaded_one_by_one(files, options, channels):
    batch = load_resized_batch(files, (4, 8), channels, **options)
    singles = [load_resized(path, (4, 8), channels, **options) for path in files]
    np.testing.assert_array_equal(batch, np.stack(singles))
    if options.get("pad_to_aspect_ratio"):  # 12x10 -> 4x3 centred: two zero columns left
        np.testing.assert_array_equal(batch[:, :, :2], 0)
        assert batch[:, :, 2:5].max() > 0


def test_padding_overwrites_a_reused_slot(files):
    slot = np.full((4, 8, 3), 7.0, np.float32)
    load_resized(files[0], (4, 8), 3, pad_to_aspect_ratio=True, out=slot)
    np.testing.assert_array_equal(slot, load_resized(files[0], (4, 8), 3, pad_to_aspect_ratio=True))
