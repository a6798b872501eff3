"""Batches decoded straight into one preallocated array (``load_resized_batch``, ``out=``) hold
the same values as TensorFlow's resize formula and as resizing float copies of the images."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest
from PIL import Image

from kgraph.utils import image_dataset, image_dataset_from_directory, image_resize, image_utils
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


def _counting_decoder(monkeypatch):
    calls = []
    original = image_utils.decode_image

    def decode(path, num_channels):
        calls.append(path)
        return original(path, num_channels)

    monkeypatch.setattr(image_utils, "decode_image", decode)
    return calls


def _epoch(ds):
    xs, ys = zip(*ds)
    return np.concatenate(xs), np.concatenate(ys)


def test_small_datasets_decode_each_file_once_and_see_rewrites(image_dir, monkeypatch):
    calls = _counting_decoder(monkeypatch)
    ds = image_dataset_from_directory(image_dir, image_size=(7, 5), batch_size=5, seed=2)
    first, _ = _epoch(ds)
    assert len(calls) == 12
    again, _ = _epoch(ds)  # reshuffled: the same images in another order, none decoded
    assert len(calls) == 12
    assert sorted(first.sum(axis=(1, 2, 3)).tolist()) == sorted(again.sum(axis=(1, 2, 3)).tolist())
    # A rewritten file (new modification time) is decoded again, with its new pixels.
    path = ds.file_paths[0]
    Image.fromarray(np.full((12, 10, 3), 9, np.uint8)).save(path)
    os.utime(path, ns=(1, 1))
    unshuffled = image_dataset_from_directory(image_dir, image_size=(7, 5), shuffle=False)
    images, _ = _epoch(unshuffled)
    calls.clear()
    images, _ = _epoch(unshuffled)
    assert calls == []
    for path_i, image in zip(unshuffled.file_paths, images):  # copies hold the decoded values
        np.testing.assert_array_equal(image, load_resized(path_i, (7, 5), 3))
    row = unshuffled.file_paths.index(path)
    np.testing.assert_array_equal(images[row], 9.0)
    calls.clear()
    Image.fromarray(np.full((12, 10, 3), 200, np.uint8)).save(path)
    images, _ = _epoch(unshuffled)
    assert calls == [path]
    np.testing.assert_array_equal(images[row], 200.0)


def test_over_the_budget_every_epoch_decodes(image_dir, monkeypatch):
    monkeypatch.setattr(image_dataset, "DECODED_CACHE_BYTES", 0)
    calls = _counting_decoder(monkeypatch)
    ds = image_dataset_from_directory(image_dir, image_size=(7, 5), batch_size=None, seed=0)
    assert [x.shape for x, _ in ds] == [(7, 5, 3)] * 12
    assert [x.shape for x, _ in ds] == [(7, 5, 3)] * 12
    assert len(calls) == 24
