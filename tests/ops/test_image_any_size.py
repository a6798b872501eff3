"""``ops.image`` on images whose height and width are only known at run time (a model built on
``Input((None, None, C))``): the graph reads the sizes itself and gives the numbers the same op
gives on statically shaped images."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops

RNG = np.random.default_rng(8)


def _transforms(n):
    """Rotations by up to ~30 degrees about a point near the centre, with some zoom."""
    angle = RNG.uniform(-0.5, 0.5, n)
    zoom = RNG.uniform(0.8, 1.3, n)
    cos, sin = np.cos(angle) * zoom, np.sin(angle) * zoom
    shift = RNG.uniform(-2, 2, (n, 2))
    zeros = np.zeros(n)
    return np.stack([cos, -sin, shift[:, 0], sin, cos, shift[:, 1], zeros, zeros], 1).astype(
        "float32"
    )


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_of_images_of_any_size(fill_mode, interpolation):
    images = kgraph.Input((None, None, 2))
    transform = kgraph.Input((8,))
    kwargs = dict(interpolation=interpolation, fill_mode=fill_mode, fill_value=0.5)
    out = ops.image.affine_transform(images, transform, **kwargs)
    model = kgraph.Model([images, transform], out)
    assert model.output_shape == (None, None, None, 2)
    for shape in [(2, 7, 5, 2), (3, 1, 6, 2), (1, 4, 1, 2)]:
        x = RNG.standard_normal(shape).astype("float32")
        t = _transforms(shape[0])
        expected = ops.convert_to_numpy(ops.image.affine_transform(x, t, **kwargs))
        np.testing.assert_allclose(model.predict([x, t], verbose=0), expected, atol=1e-5)


def test_affine_transform_channels_first_of_any_size():
    images = kgraph.Input((3, None, None))
    transform = kgraph.Input((8,))
    kwargs = dict(fill_mode="reflect", data_format="channels_first")
    model = kgraph.Model(
        [images, transform], ops.image.affine_transform(images, transform, **kwargs)
    )
    x = RNG.standard_normal((2, 3, 6, 9)).astype("float32")
    t = _transforms(2)
    expected = ops.convert_to_numpy(ops.image.affine_transform(x, t, **kwargs))
    np.testing.assert_allclose(model.predict([x, t], verbose=0), expected, atol=1e-5)
