"""Deterministic preprocessing layers against numpy and Pillow references (every graph)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from kgraph import layers
from tests.harness import run_layer_test

RNG = np.random.default_rng(11)


def test_rescaling_uint8_to_unit_range():
    x = RNG.integers(0, 256, (2, 4, 5, 3)).astype("uint8")
    run_layer_test(
        layers.Rescaling,
        dict(scale=1.0 / 255),
        input_shape=(2, 4, 5, 3),
        expected_output_shape=(2, 4, 5, 3),
        input_dtype="uint8",
        input_data=x,
        expected_output_dtype="float32",
        reference=lambda x, w: x.astype(np.float64) / 255.0,
    )


def test_rescaling_per_channel_offset():
    run_layer_test(
        layers.Rescaling,
        dict(scale=[1.0, 2.0, 0.5], offset=-1.0),
        input_shape=(2, 3, 3),
        expected_output_shape=(2, 3, 3),
        reference=lambda x, w: x * np.array([1.0, 2.0, 0.5]) - 1.0,
    )


def _bilinear_matrix(n_in, n_out):
    """Half-pixel bilinear taps with clamped neighbours (no antialias), written directly."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        c = min(max((i + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1)
        lo = int(np.floor(c))
        hi = min(lo + 1, n_in - 1)
        m[i, lo] += 1 - (c - lo)
        m[i, hi] += c - lo
    return m


def _bilinear_reference(x, size):
    mh, mw = _bilinear_matrix(x.shape[1], size[0]), _bilinear_matrix(x.shape[2], size[1])
    return np.einsum("ih,nhwc,jw->nijc", mh, x.astype(np.float64), mw)


@pytest.mark.parametrize("size", [(3, 4), (11, 13)], ids=["down", "up"])
def test_resizing_bilinear_numpy(size):
    run_layer_test(
        layers.Resizing,
        dict(height=size[0], width=size[1]),
        input_shape=(2, 6, 7, 3),
        expected_output_shape=(2, *size, 3),
        reference=lambda x, w: _bilinear_reference(x, size),
    )


def _pillow(x, size, method):
    """Pillow resizes float ('F') images channel by channel; it always antialiases."""
    out = np.empty((x.shape[0], *size, x.shape[3]))
    for n in range(x.shape[0]):
        for c in range(x.shape[3]):
            img = Image.fromarray(x[n, :, :, c].astype(np.float32), mode="F")
            out[n, :, :, c] = np.asarray(img.resize(size[::-1], method))
    return out


@pytest.mark.parametrize("size", [(4, 3), (13, 17)], ids=["down", "up"])
def test_resizing_bilinear_antialias_matches_pillow(size):
    x = RNG.random((2, 9, 8, 2)).astype(np.float32)
    run_layer_test(
        layers.Resizing,
        dict(height=size[0], width=size[1], antialias=True),
        input_shape=x.shape,
        expected_output_shape=(2, *size, 2),
        input_data=x,
        reference=lambda x, w: _pillow(x, size, Image.BILINEAR),
        atol=2e-5,
    )


def test_resizing_nearest_upscale_repeats_pixels():
    x = RNG.random((1, 3, 2, 1)).astype(np.float32)
    run_layer_test(
        layers.Resizing,
        dict(height=6, width=6, interpolation="nearest"),
        input_shape=x.shape,
        expected_output_shape=(1, 6, 6, 1),
        input_data=x,
        reference=lambda x, w: x.repeat(2, axis=1).repeat(3, axis=2),
    )


@pytest.mark.parametrize("option", ["crop_to_aspect_ratio", "pad_to_aspect_ratio"])
def test_resizing_aspect_ratio(option):
    x = RNG.random((2, 4, 8, 1)).astype(np.float32)
    if option == "crop_to_aspect_ratio":  # the centred 4x4 window, kept as is
        expected = x[:, :, 2:6]
    else:  # padded to 8x8 with the fill value, then every second pixel (nearest)
        padded = np.pad(x, ((0, 0), (2, 2), (0, 0), (0, 0)), constant_values=3.0)
        expected = padded[:, 1::2, 1::2]
    size = (4, 4)
    kwargs = {option: True, "fill_value": 3.0}
    if option == "pad_to_aspect_ratio":
        kwargs["interpolation"] = "nearest"
    run_layer_test(
        layers.Resizing,
        dict(height=size[0], width=size[1], **kwargs),
        input_shape=x.shape,
        expected_output_shape=(2, 4, 4, 1),
        input_data=x,
        reference=lambda x, w: expected,
    )


@pytest.mark.parametrize(
    "shape, out",
    [((2, 6, 7, 3), (4, 3)), ((2, 3, 7, 3), (5, 4))],
    ids=["crop", "smaller_resizes"],
)
def test_center_crop(shape, out):
    def reference(x, w):
        h, wd = x.shape[1:3]
        if h >= out[0] and wd >= out[1]:
            top, left = (h - out[0]) // 2, (wd - out[1]) // 2
            return x[:, top : top + out[0], left : left + out[1]]
        crop_w = min(wd, int(h * out[1] / out[0]))  # crop to the aspect ratio, then resize
        left = (wd - crop_w) // 2
        return _bilinear_reference(x[:, :, left : left + crop_w], out)

    run_layer_test(
        layers.CenterCrop,
        dict(height=out[0], width=out[1]),
        input_shape=shape,
        expected_output_shape=(2, *out, 3),
        reference=reference,
    )


def test_normalization_fixed_and_invert():
    mean, var = np.array([1.0, -2.0, 0.5]), np.array([4.0, 0.25, 1.0])
    run_layer_test(
        layers.Normalization,
        dict(mean=mean.tolist(), variance=var.tolist()),
        input_shape=(3, 5, 3),
        expected_output_shape=(3, 5, 3),
        reference=lambda x, w: (x - mean) / np.sqrt(var),
    )
    run_layer_test(
        layers.Normalization,
        dict(mean=mean.tolist(), variance=var.tolist(), invert=True),
        input_shape=(3, 3),
        expected_output_shape=(3, 3),
        reference=lambda x, w: mean + x * np.sqrt(var),
    )


def test_normalization_adapt_array_and_batches_agree():
    data = RNG.normal(3.0, 2.0, (100, 4, 3)).astype(np.float32)
    whole = layers.Normalization(axis=-1)
    whole.adapt(data)
    batched = layers.Normalization(axis=-1)
    batched.adapt(data[i : i + 32] for i in range(0, 100, 32))
    expected_mean = data.reshape(-1, 3).mean(axis=0)
    expected_var = data.reshape(-1, 3).var(axis=0)
    for layer in (whole, batched):
        mean, var, count = layer.get_weights()
        np.testing.assert_allclose(mean, expected_mean, rtol=1e-5)
        np.testing.assert_allclose(var, expected_var, rtol=1e-5)
        assert count == 400
        out = np.asarray(layer(data))
        np.testing.assert_allclose(out.reshape(-1, 3).mean(axis=0), 0.0, atol=1e-5)
        np.testing.assert_allclose(out.reshape(-1, 3).std(axis=0), 1.0, rtol=1e-4)


def test_normalization_adapt_dataset_of_pairs_and_axis_none():
    data = RNG.normal(-1.0, 3.0, (64, 5)).astype(np.float32)
    layer = layers.Normalization(axis=None)
    layer.adapt([(data[:40], np.zeros(40)), (data[40:], np.zeros(24))])
    np.testing.assert_allclose(layer.get_weights()[0], data.mean(), rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], data.var(), rtol=1e-5)


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding(mode):
    x = np.array([[0, 2, 2], [3, 1, 0]], np.int64)
    one_hot = np.eye(4)[x]
    expected = {
        "one_hot": one_hot,
        "multi_hot": one_hot.max(axis=1),
        "count": one_hot.sum(axis=1),
    }[mode]
    run_layer_test(
        layers.CategoryEncoding,
        dict(num_tokens=4, output_mode=mode),
        input_shape=(2, 3),
        expected_output_shape=expected.shape,
        input_dtype="int64",
        input_data=x,
        expected_output_dtype="float32",
        reference=lambda x, w: expected,
    )


def test_discretization_int_and_one_hot():
    bounds = [-1.0, 0.0, 0.5]
    x = np.array([[-2.0, -1.0, 0.2], [0.5, 0.7, -0.5]], np.float32)
    run_layer_test(
        layers.Discretization,
        dict(bin_boundaries=bounds),
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        input_data=x,
        expected_output_dtype="int32",
        reference=lambda x, w: np.digitize(x, bounds),
    )
    layer = layers.Discretization(bin_boundaries=bounds, output_mode="one_hot")
    np.testing.assert_array_equal(layer(x[0]), np.eye(4)[np.digitize(x[0], bounds)])


def test_discretization_adapt_quantiles():
    data = RNG.random(1000)
    layer = layers.Discretization(num_bins=4)
    layer.adapt(data)
    np.testing.assert_allclose(layer.bin_boundaries, np.quantile(data, [0.25, 0.5, 0.75]))
    counts = np.bincount(np.asarray(layer(data.astype(np.float32))).ravel(), minlength=4)
    assert (np.abs(counts - 250) <= 2).all()


@pytest.mark.parametrize(
    "cls, kwargs, message",
    [
        (layers.Resizing, dict(height=2, width=2, interpolation="area"), "interpolation"),
        (
            layers.Resizing,
            dict(height=2, width=2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
            "Only one",
        ),
        (layers.Normalization, dict(mean=1.0), "both `mean` and `variance`"),
        (layers.CategoryEncoding, dict(num_tokens=None), "num_tokens must be set"),
        (layers.CategoryEncoding, dict(num_tokens=3, output_mode="tf_idf"), "output_mode"),
        (layers.Discretization, dict(bin_boundaries=[1.0], num_bins=2), "Both"),
    ],
)
def test_bad_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_resizing_takes_images_of_any_size():
    """``Input((None, None, 3))`` then ``Resizing``: a model that takes any image size resizes
    it first (bilinear, antialiased and nearest alike); aspect-ratio cropping still needs
    static sizes."""
    import kgraph

    inputs = kgraph.Input((None, None, 2))
    outs = [
        layers.Resizing(5, 4)(inputs),
        layers.Resizing(5, 4, antialias=True)(inputs),
        layers.Resizing(6, 6, interpolation="nearest")(inputs),
    ]
    model = kgraph.Model(inputs, outs)
    assert [tuple(t.shape) for t in model.outputs] == [(None, 5, 4, 2)] * 2 + [(None, 6, 6, 2)]
    for shape in [(2, 9, 8, 2), (1, 3, 2, 2)]:
        x = RNG.random(shape).astype(np.float32)
        bilinear, antialiased, nearest = model.predict(x, verbose=0)
        np.testing.assert_allclose(bilinear, _bilinear_reference(x, (5, 4)), atol=1e-5)
        np.testing.assert_allclose(antialiased, _pillow(x, (5, 4), Image.BILINEAR), atol=2e-5)
        rows = np.floor((np.arange(6) + 0.5) * shape[1] / 6).astype(int)
        cols = np.floor((np.arange(6) + 0.5) * shape[2] / 6).astype(int)
        np.testing.assert_array_equal(nearest, x[:, rows][:, :, cols])
    with pytest.raises(ValueError, match="static"):
        layers.Resizing(4, 4, crop_to_aspect_ratio=True)(inputs)
