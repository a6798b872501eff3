"""Resizing matches TensorFlow's ``tf.image.resize`` arithmetic, checked against per-pixel
numpy references written from TensorFlow's documented formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgraph.utils import image_resize

SIZES = [(5, 7, 11, 13), (11, 13, 5, 4), (9, 9, 9, 9), (8, 6, 3, 12), (3, 4, 12, 4)]


def _image(h, w, c=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (h, w, c)).astype(np.float32)


def _bilinear_reference(img, oh, ow):
    """TensorFlow's ResizeBilinear with half-pixel centres: sample at (o + 0.5) * in/out - 0.5,
    lower/upper neighbours clamped to the image."""
    h, w = img.shape[:2]
    out = np.zeros((oh, ow, img.shape[2]))
    for i in range(oh):
        y = (i + 0.5) * h / oh - 0.5
        y0, dy = math.floor(y), y - math.floor(y)
        ya, yb = min(max(y0, 0), h - 1), min(max(y0 + 1, 0), h - 1)
        for j in range(ow):
            x = (j + 0.5) * w / ow - 0.5
            x0, dx = math.floor(x), x - math.floor(x)
            xa, xb = min(max(x0, 0), w - 1), min(max(x0 + 1, 0), w - 1)
            top = img[ya, xa] * (1 - dx) + img[ya, xb] * dx
            bottom = img[yb, xa] * (1 - dx) + img[yb, xb] * dx
            out[i, j] = top * (1 - dy) + bottom * dy
    return out


def _nearest_reference(img, oh, ow):
    h, w = img.shape[:2]
    rows = [min(math.floor((i + 0.5) * h / oh), h - 1) for i in range(oh)]
    cols = [min(math.floor((j + 0.5) * w / ow), w - 1) for j in range(ow)]
    return img[rows][:, cols]


def _area_reference(img, oh, ow):
    """Each output pixel is the mean of its input box, partial pixels weighted by coverage."""
    h, w = img.shape[:2]

    def cover(o, n, out_n):
        s = n / out_n
        a, b = o * s, (o + 1) * s
        return np.array([max(0.0, min(k + 1, b) - max(k, a)) for k in range(n)]) / s

    out = np.zeros((oh, ow, img.shape[2]))
    for i in range(oh):
        for j in range(ow):
            weights = np.outer(cover(i, h, oh), cover(j, w, ow))
            out[i, j] = np.tensordot(weights, img, axes=([0, 1], [0, 1]))
    return out


@pytest.mark.parametrize("h,w,oh,ow", SIZES)
def test_bilinear_matches_tensorflow_formula(h, w, oh, ow):
    img = _image(h, w)
    got = image_resize.resize(img, (oh, ow), "bilinear")
    np.testing.assert_allclose(got, _bilinear_reference(img, oh, ow), rtol=1e-5, atol=1e-3)
    assert got.dtype == np.float32 and got.shape == (oh, ow, 2)


@pytest.mark.parametrize("h,w,oh,ow", SIZES)
def test_nearest_and_area_match_references(h, w, oh, ow):
    img = _image(h, w, seed=1)
    np.testing.assert_array_equal(
        image_resize.resize(img, (oh, ow), "nearest"), _nearest_reference(img, oh, ow)
    )
    np.testing.assert_allclose(
        image_resize.resize(img, (oh, ow), "area"), _area_reference(img, oh, ow), atol=1e-3
    )


def test_antialias_downscale_averages_like_a_stretched_triangle():
    # Halving with antialias: a triangle of radius 2 input pixels around each sample centre.
    row = np.arange(8, dtype=np.float32)[None, :, None]
    got = image_resize.resize(row, (1, 4), "bilinear", antialias=True)[0, :, 0]
    centres = np.array([0.5, 2.5, 4.5, 6.5])
    expected = []
    for c in centres:
        weights = np.maximum(0, 1 - np.abs(np.arange(8) - c) / 2)
        expected.append((weights * np.arange(8)).sum() / weights.sum())
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # Without antialias halving samples between neighbours: (0+1)/2, (2+3)/2, ...
    np.testing.assert_allclose(
        image_resize.resize(row, (1, 4), "bilinear")[0, :, 0], [0.5, 2.5, 4.5, 6.5]
    )


def test_same_size_is_identity_and_constant_images_stay_constant():
    img = _image(6, 5)
    for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"):
        np.testing.assert_array_equal(image_resize.resize(img, (6, 5), method), img)
    flat = np.full((7, 9, 1), 42.0, np.float32)
    for method in image_resize.INTERPOLATIONS:
        np.testing.assert_allclose(image_resize.resize(flat, (4, 13), method), 42.0, rtol=1e-5)


def test_crop_and_pad_to_aspect_ratio():
    img = np.arange(6 * 12, dtype=np.float32).reshape(6, 12, 1)
    crop = image_resize.crop_to_aspect_ratio(img, (4, 4))
    np.testing.assert_array_equal(crop, img[:, 3:9])
    padded = image_resize.resize_with_pad(img, (8, 8))
    # 6x12 fits 8x8 as 4x8, centred: two zero rows above and below.
    assert padded.shape == (8, 8, 1)
    np.testing.assert_array_equal(padded[:2], 0)
    np.testing.assert_array_equal(padded[6:], 0)
    np.testing.assert_allclose(padded[2:6], image_resize.resize(img, (4, 8)))


def test_unknown_interpolation_is_rejected():
    with pytest.raises(ValueError, match="interpolation"):
        image_resize.resize(_image(3, 3), (2, 2), "cubic")
