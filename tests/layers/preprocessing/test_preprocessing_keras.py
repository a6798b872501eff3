"""Oracle: preprocessing layers and ``kgraph.ops.image`` against real Keras (JAX backend)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.ops import image as image_ops
from kgraph.ops.image_perspective import homography
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS
RNG = np.random.default_rng(21)


def _both(name, kwargs, x, rtol=1e-5, atol=1e-5):
    ours = getattr(kgraph.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    inputs = kgraph.Input(x.shape[1:], dtype=str(x.dtype))
    model = kgraph.Model(inputs, ours(inputs))
    expected = np.asarray(theirs(x, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=rtol, atol=atol)


def _cases(values, keep):
    """Every combination; those ``keep`` rejects are marked slow (the full sweep is
    ``-m slow``), so the default run keeps a representative few."""
    return [
        pytest.param(*v, marks=() if keep(*v) else pytest.mark.slow, id="-".join(map(str, v)))
        for v in values
    ]


RESIZE_CASES = _cases(
    [
        (i, s, a)
        for i in ("bilinear", "nearest", "bicubic", "lanczos3")
        for s in ((5, 3), (17, 23))
        for a in (False, True)
    ],
    lambda i, s, a: (
        i == "bilinear"
        or (i, s[0] < 11, a)
        in {("nearest", True, False), ("bicubic", True, True), ("lanczos3", False, False)}
    ),
)


@pytest.mark.parametrize("interpolation, size, antialias", RESIZE_CASES)
def test_resizing(interpolation, size, antialias):
    x = RNG.random((2, 11, 9, 3)).astype(np.float32)
    kwargs = dict(height=size[0], width=size[1], interpolation=interpolation, antialias=antialias)
    _both("Resizing", kwargs, x)


@pytest.mark.parametrize("option", ["crop_to_aspect_ratio", "pad_to_aspect_ratio"])
def test_resizing_aspect_ratio(option):
    x = RNG.random((2, 11, 7, 3)).astype(np.float32)
    _both("Resizing", dict(height=6, width=6, **{option: True}), x)


@pytest.mark.parametrize("shape", [(2, 9, 8, 3), (2, 3, 9, 3)], ids=["crop", "resize"])
def test_center_crop(shape):
    _both("CenterCrop", dict(height=5, width=4), RNG.random(shape).astype(np.float32))


def test_rescaling_and_normalization():
    x = RNG.integers(0, 256, (3, 4, 4, 3)).astype(np.uint8)
    _both("Rescaling", dict(scale=1 / 127.5, offset=-1), x)
    y = RNG.normal(2, 3, (5, 4, 3)).astype(np.float32)
    _both("Normalization", dict(mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 0.5]), y)
    _both("Normalization", dict(axis=None, mean=2.0, variance=9.0, invert=True), y)


def test_normalization_adapt():
    data = RNG.normal(2, 3, (50, 6, 2)).astype(np.float32)
    ours, theirs = kgraph.layers.Normalization(axis=(1, 2)), keras.layers.Normalization(axis=(1, 2))
    ours.adapt(data)
    theirs.adapt(data)
    np.testing.assert_allclose(ours(data), np.asarray(theirs(data)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding(mode):
    x = RNG.integers(0, 6, (4, 3))
    _both("CategoryEncoding", dict(num_tokens=6, output_mode=mode), x)


def test_discretization():
    x = RNG.normal(0, 2, (4, 5)).astype(np.float32)
    _both("Discretization", dict(bin_boundaries=[-1.0, 0.0, 1.5]), x)


MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


@pytest.mark.parametrize(
    "interpolation, fill_mode",
    _cases(
        [(i, m) for i in ("nearest", "bilinear") for m in MODES],
        lambda i, m: i == "bilinear" or m == "constant",
    ),
)
def test_affine_transform(interpolation, fill_mode):
    x = RNG.random((3, 7, 6, 2)).astype(np.float32)
    t = np.zeros((3, 8), np.float32)
    angle = RNG.uniform(-1, 1, 3)
    t[:, 0], t[:, 1], t[:, 2] = np.cos(angle) * 1.3, -np.sin(angle), RNG.uniform(-3, 3, 3)
    t[:, 3], t[:, 4], t[:, 5] = np.sin(angle), np.cos(angle) * 0.8, RNG.uniform(-3, 3, 3)
    ours = image_ops.affine_transform(x, t, interpolation, fill_mode, fill_value=0.7)
    theirs = keras.ops.image.affine_transform(x, t, interpolation, fill_mode, fill_value=0.7)
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5)


@pytest.mark.parametrize("name", ["rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb"])
def test_color_ops(name):
    x = RNG.random((2, 5, 4, 3)).astype(np.float32)
    ours, theirs = getattr(image_ops, name)(x), getattr(keras.ops.image, name)(x)
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5)


def test_crop_and_pad_images():
    x = RNG.random((2, 9, 8, 3)).astype(np.float32)
    for fn, kwargs in (
        ("crop_images", dict(top_cropping=1, left_cropping=2, target_height=5, target_width=4)),
        ("pad_images", dict(top_padding=1, left_padding=2, target_height=12, target_width=11)),
    ):
        ours = getattr(image_ops, fn)(x, **kwargs)
        np.testing.assert_allclose(ours, np.asarray(getattr(keras.ops.image, fn)(x, **kwargs)))


@pytest.mark.parametrize(
    "name, kwargs, draws",
    [
        ("RandomRotation", dict(factor=0.2, fill_mode="constant"), {"angle": (3,)}),
        pytest.param(
            "RandomZoom", dict(height_factor=0.3, width_factor=0.2), None, marks=pytest.mark.slow
        ),
        ("RandomTranslation", dict(height_factor=0.2, width_factor=0.3), None),
    ],
)
def test_geometric_layers_apply_keras_transforms(name, kwargs, draws):
    """Same random parameters in both libraries give the same images."""
    x = RNG.random((3, 8, 7, 2)).astype(np.float32)
    theirs = getattr(keras.layers, name)(**kwargs, seed=1)
    transformation = theirs.get_random_transformation(x, training=True)
    expected = np.asarray(theirs.transform_images(x, transformation, training=True))
    ours = getattr(kgraph.layers, name)(**kwargs)
    if name == "RandomRotation":
        from kgraph.layers.preprocessing.base_affine import affine_matrix

        angle = np.asarray(transformation["angle"]).reshape(-1, 1)
        matrix = affine_matrix(8, 7, angle=angle)
    elif name == "RandomZoom":
        matrix = np.asarray(
            theirs._get_zoom_matrix(
                np.concatenate([transformation["width_zoom"], transformation["height_zoom"]], 1),
                8,
                7,
            )
        )
    else:
        matrix = np.asarray(theirs._get_translation_matrix(transformation["translations"]))
    got = ours.transform_images(x, {"matrix": matrix})
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize(
    "shape, order, fill_mode",
    _cases(
        [(s, o, m) for s in ((7,), (6, 5), (4, 5, 3)) for o in (0, 1) for m in MODES],
        lambda s, o, m: (len(s) == 2 and o == 1) or (len(s) != 2 and o == 0 and m == "reflect"),
    ),
)
def test_map_coordinates(shape, order, fill_mode):
    x = RNG.random(shape).astype(np.float32)
    coords = RNG.uniform(-2, max(shape) + 1, (len(shape), 3, 4)).astype(np.float32)
    ours = image_ops.map_coordinates(x, coords, order, fill_mode, 0.3)
    theirs = keras.ops.image.map_coordinates(x, coords, order, fill_mode, 0.3)
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(size=3),
        dict(size=(2, 3), strides=(1, 2)),
        pytest.param(dict(size=3, padding="same"), marks=pytest.mark.slow),
        pytest.param(dict(size=2, dilation_rate=2, strides=1), marks=pytest.mark.slow),
    ],
    ids=str,
)
def test_extract_patches(kwargs):
    x = RNG.random((2, 9, 8, 3)).astype(np.float32)
    ours = image_ops.extract_patches(x, **kwargs)
    theirs = keras.ops.image.extract_patches(x, **kwargs)
    np.testing.assert_allclose(ours, np.asarray(theirs))


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_perspective_transform_and_layer(interpolation):
    x = RNG.random((3, 9, 8, 2)).astype(np.float32)
    start = np.repeat(np.array([[[0, 0], [7, 0], [0, 8], [7, 8]]], np.float32), 3, axis=0)
    end = start + start * RNG.uniform(-0.3, 0.3, (3, 4, 2)).astype(np.float32)
    moved = start + RNG.uniform(-1, 1, start.shape).astype(np.float32)  # any quads
    for a, b in ((start, end), (moved, end)):
        ours = image_ops.perspective_transform(x, a, b, interpolation, fill_value=0.5)
        theirs = keras.ops.image.perspective_transform(x, a, b, interpolation, fill_value=0.5)
        np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-5)
    layer = kgraph.layers.RandomPerspective(interpolation=interpolation, fill_value=0.5)
    matrix = homography(start, end)
    got = layer.transform_images(
        x, {"matrix": matrix, "apply_perspective": np.ones((3, 1, 1, 1), bool)}
    )
    theirs = keras.layers.RandomPerspective(interpolation=interpolation, fill_value=0.5)
    transformation = {
        "start_points": start,
        "end_points": end,
        "apply_perspective": np.ones(3, bool),
        "input_shape": x.shape,
    }
    expected = theirs.transform_images(x, transformation, training=True)
    np.testing.assert_allclose(got, np.asarray(expected), atol=1e-5)


def test_keras_files_cross_both_ways(tmp_path):
    """A Keras model with preprocessing layers (an adapted Normalization among them) loads in
    kgraph and predicts alike; kgraph's save loads back in Keras."""
    norm = keras.layers.Normalization()
    norm.adapt(RNG.random((20, 8, 8, 3)).astype(np.float32))
    theirs = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.RandomFlip(),
            keras.layers.RandomRotation(0.1, fill_mode="constant"),
            keras.layers.Resizing(6, 6),
            norm,
            keras.layers.RandomContrast(0.2, value_range=(0, 1)),
            keras.layers.CenterCrop(4, 4),
            keras.layers.Conv2D(2, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    theirs.save(tmp_path / "keras.keras")
    ours = kgraph.models.load_model(tmp_path / "keras.keras")
    x = RNG.random((2, 8, 8, 3)).astype(np.float32) * 255
    expected = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    ours.save(tmp_path / "kgraph.keras")
    back = keras.models.load_model(tmp_path / "kgraph.keras")
    np.testing.assert_allclose(np.asarray(back.predict(x, verbose=0)), expected, atol=1e-5)


def test_pipeline_crosses_to_keras(tmp_path):
    inputs = kgraph.Input((8, 8, 3))
    pipeline = kgraph.layers.Pipeline(
        [
            kgraph.layers.Rescaling(1 / 255),
            kgraph.layers.RandomFlip(),
            kgraph.layers.CenterCrop(6, 6),
        ]
    )
    ours = kgraph.Model(inputs, kgraph.layers.Conv2D(2, 3)(pipeline(inputs)))
    ours.save(tmp_path / "pipeline.keras")
    theirs = keras.models.load_model(tmp_path / "pipeline.keras")
    x = RNG.random((2, 8, 8, 3)).astype(np.float32) * 255
    np.testing.assert_allclose(
        np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0), atol=1e-5
    )
