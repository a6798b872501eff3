"""The newer ``kgraph.ops.image`` ops against real Keras on JAX (oracle group)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph.ops import image
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

RNG = np.random.default_rng(7)
X = RNG.random((2, 7, 8, 3)).astype("float32")
Y = RNG.random((2, 7, 8, 3)).astype("float32")
V = RNG.random((2, 5, 6, 4, 2)).astype("float32")


def _same(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=tol, atol=tol)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_sobel_and_ssim(fmt):
    _same(image.sobel_edges(X, fmt), keras.ops.image.sobel_edges(X, fmt))
    kw = dict(filter_size=3, filter_sigma=0.8, max_val=2.0, data_format=fmt)
    _same(image.ssim(X, Y, **kw), keras.ops.image.ssim(X, Y, **kw))
    _same(image.ssim(X[0], Y[0], **kw), keras.ops.image.ssim(X[0], Y[0], **kw))


@pytest.mark.parametrize("kwargs", [dict(size=2, strides=1), dict(size=(2, 3, 2), padding="same")])
def test_extract_patches_3d(kwargs):
    _same(image.extract_patches_3d(V, **kwargs), keras.ops.image.extract_patches_3d(V, **kwargs))
    _same(
        image.extract_patches_3d(V[0], **kwargs), keras.ops.image.extract_patches_3d(V[0], **kwargs)
    )


@pytest.mark.parametrize("method", ["linear", "cubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [True, False])
def test_scale_and_translate(method, antialias):
    for scale, shift, shape in [
        ((0.5, 1.7), (0.3, -1.0), (2, 4, 13, 3)),
        ((2.0, 0.6), (1.0, 0.5), (2, 14, 5, 3)),
    ]:
        args = (shape, np.float32(scale), np.float32(shift), (1, 2), method, antialias)
        _same(image.scale_and_translate(X, *args), keras.ops.image.scale_and_translate(X, *args))
