"""ZeroPadding, Cropping, UpSampling (1D-3D) and RepeatVector against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import layers
from tests.harness import run_layer_test


def _resize_matrix(n, factor):
    """Half-pixel linear interpolation weights, written out per output cell."""
    m = np.zeros((n * factor, n))
    for o in range(n * factor):
        src = min(max((o + 0.5) / factor - 0.5, 0.0), n - 1)
        lo = int(np.floor(src))
        hi = min(lo + 1, n - 1)
        m[o, lo] += 1 - (src - lo)
        m[o, hi] += src - lo
    return m


@pytest.mark.parametrize(
    "cls, kwargs, shape, widths",
    [
        (layers.ZeroPadding1D, dict(), (2, 4, 3), [(0, 0), (1, 1), (0, 0)]),
        (layers.ZeroPadding1D, dict(padding=(2, 0)), (2, 4, 3), [(0, 0), (2, 0), (0, 0)]),
        (
            layers.ZeroPadding2D,
            dict(padding=(1, 2)),
            (2, 3, 4, 2),
            [(0, 0), (1, 1), (2, 2), (0, 0)],
        ),
        (
            layers.ZeroPadding2D,
            dict(padding=((0, 1), (2, 3)), data_format="channels_first"),
            (2, 2, 3, 4),
            [(0, 0), (0, 0), (0, 1), (2, 3)],
        ),
        (
            layers.ZeroPadding3D,
            dict(padding=1),
            (1, 2, 3, 2, 2),
            [(0, 0)] + [(1, 1)] * 3 + [(0, 0)],
        ),
    ],
)
def test_zero_padding(cls, kwargs, shape, widths):
    out = tuple(d + a + b for d, (a, b) in zip(shape, widths))
    run_layer_test(cls, kwargs, shape, out, lambda x, w: np.pad(x, widths))


@pytest.mark.parametrize(
    "cls, kwargs, shape, index",
    [
        (layers.Cropping1D, dict(), (2, 5, 3), np.s_[:, 1:-1]),
        (layers.Cropping1D, dict(cropping=(2, 0)), (2, 5, 3), np.s_[:, 2:]),
        (layers.Cropping2D, dict(cropping=((1, 0), (1, 2))), (2, 4, 6, 2), np.s_[:, 1:, 1:-2]),
        (
            layers.Cropping2D,
            dict(cropping=1, data_format="channels_first"),
            (2, 2, 4, 5),
            np.s_[:, :, 1:-1, 1:-1],
        ),
        (layers.Cropping3D, dict(), (1, 3, 4, 3, 2), np.s_[:, 1:-1, 1:-1, 1:-1]),
    ],
)
def test_cropping(cls, kwargs, shape, index):
    out = np.zeros(shape)[index].shape
    run_layer_test(cls, kwargs, shape, out, lambda x, w: x[index])


def test_cropping_too_large():
    with pytest.raises(ValueError, match="cropping"):
        run_layer_test(layers.Cropping1D, dict(cropping=(2, 3)), (2, 5, 3), (2, 0, 3))


@pytest.mark.parametrize(
    "cls, kwargs, shape, out, reference",
    [
        (layers.UpSampling1D, dict(size=3), (2, 2, 3), (2, 6, 3), lambda x: x.repeat(3, 1)),
        (
            layers.UpSampling2D,
            dict(size=(2, 3)),
            (2, 2, 3, 2),
            (2, 4, 9, 2),
            lambda x: x.repeat(2, 1).repeat(3, 2),
        ),
        (
            layers.UpSampling3D,
            dict(size=2, data_format="channels_first"),
            (1, 2, 2, 1, 2),
            (1, 2, 4, 2, 4),
            lambda x: x.repeat(2, 2).repeat(2, 3).repeat(2, 4),
        ),
        (
            layers.UpSampling2D,
            dict(size=(2, 3), interpolation="bilinear"),
            (2, 3, 4, 2),
            (2, 6, 12, 2),
            lambda x: np.einsum("ph,qw,nhwc->npqc", _resize_matrix(3, 2), _resize_matrix(4, 3), x),
        ),
    ],
)
def test_upsampling(cls, kwargs, shape, out, reference):
    run_layer_test(cls, kwargs, shape, out, lambda x, w: reference(x))


def test_upsampling_refuses_other_interpolations():
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling3D(interpolation="bilinear")


def test_repeat_vector():
    run_layer_test(
        layers.RepeatVector,
        dict(n=3),
        (2, 4),
        (2, 3, 4),
        lambda x, w: np.repeat(x[:, None], 3, axis=1),
    )


def test_nearest_upsampling_with_unknown_spatial_sizes():
    import kgraph

    inputs = kgraph.Input((None, None, 2))
    model = kgraph.Model(inputs, layers.UpSampling2D((2, 3))(inputs))
    assert model.output_shape == (None, None, None, 2)
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 4, 2), (1, 5, 2, 2)]:
        x = rng.standard_normal(shape).astype(np.float32)
        np.testing.assert_array_equal(
            model.predict(x, verbose=0), x.repeat(2, axis=1).repeat(3, axis=2)
        )


@pytest.mark.parametrize("size", [(2, 3), (3, 1), (4, 4)])
def test_bilinear_upsampling_with_unknown_spatial_sizes(size):
    """A fully convolutional model takes any image size: bilinear upsampling then runs without
    static sizes, with the numbers of the static resize, and trains."""
    import kgraph

    inputs = kgraph.Input((None, None, 2))
    model = kgraph.Model(inputs, layers.UpSampling2D(size, interpolation="bilinear")(inputs))
    assert model.output_shape == (None, None, None, 2)
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 4, 2), (1, 1, 5, 2), (1, 6, 2, 2)]:
        x = rng.standard_normal(shape).astype(np.float32)
        expected = np.einsum(
            "ph,qw,nhwc->npqc",
            _resize_matrix(shape[1], size[0]),
            _resize_matrix(shape[2], size[1]),
            x,
        )
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_bilinear_upsampling_with_unknown_sizes_trains():
    import kgraph

    inputs = kgraph.Input((None, None, 1))
    x = layers.Conv2D(2, 3, padding="same")(inputs)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    model = kgraph.Model(inputs, layers.Conv2D(1, 1)(x))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    images = rng.random((8, 6, 5, 1)).astype(np.float32)
    targets = np.repeat(np.repeat(images, 2, axis=1), 2, axis=2)
    before = model.evaluate(images, targets, verbose=0)
    model.fit(images, targets, epochs=3, batch_size=4, verbose=0)
    assert model.evaluate(images, targets, verbose=0) < before
    assert model.predict(rng.random((1, 3, 7, 1)).astype(np.float32), verbose=0).shape == (
        1,
        6,
        14,
        1,
    )


def test_other_interpolations_need_static_sizes():
    import kgraph

    inputs = kgraph.Input((None, None, 2))
    with pytest.raises(ValueError, match="static"):
        layers.UpSampling2D(2, interpolation="bicubic")(inputs)
