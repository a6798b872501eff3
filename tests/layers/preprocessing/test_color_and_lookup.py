"""Colour augmentation statistics in the training graph, and IntegerLookup against numpy."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers
from kgraph.ops import image as image_ops
from tests.harness import run_layer_test, training_graph_outputs

RNG = np.random.default_rng(13)


def _train(layer, x):
    inputs = kgraph.Input(x.shape[1:])
    (out,) = training_graph_outputs(kgraph.Model(inputs, layer(inputs)), [x])
    return out


def test_grayscale_rate_and_values():
    x = RNG.uniform(0, 255, (1000, 3, 3, 3)).astype(np.float32)
    out = _train(layers.RandomGrayscale(0.3, seed=1), x)
    gray = np.repeat(x @ np.array([[0.2989], [0.5870], [0.1140]], np.float32), 3, axis=-1)
    is_gray = np.all(np.isclose(out, gray, atol=1e-3), axis=(1, 2, 3))
    kept = np.all(out == x, axis=(1, 2, 3))
    assert np.all(is_gray | kept) and abs(is_gray.mean() - 0.3) < 0.05


def test_hue_keeps_saturation_and_value():
    x = RNG.uniform(0, 1, (300, 4, 4, 3)).astype(np.float32)
    out = _train(layers.RandomHue(0.4, value_range=(0, 1), seed=2), x)
    before, after = image_ops.rgb_to_hsv(x), image_ops.rgb_to_hsv(np.clip(out, 0, 1))
    np.testing.assert_allclose(after[..., 1:], before[..., 1:], atol=2e-3)
    shift = (after[..., 0] - before[..., 0] + 0.5) % 1.0 - 0.5  # signed hue change per pixel
    per_image = np.median(shift.reshape(300, -1), axis=1)
    assert np.abs(per_image).max() <= 0.2 + 1e-3 and per_image.std() > 0.05


def test_saturation_scales_s_only():
    x = RNG.uniform(0, 255, (200, 4, 4, 3)).astype(np.float32)
    out = _train(layers.RandomSaturation((0.5, 0.5), seed=3), x)  # f / (1 - f) = 1
    np.testing.assert_allclose(out, x, atol=0.05)
    out = _train(layers.RandomSaturation((0.0, 0.0), seed=3), x)  # saturation removed
    np.testing.assert_allclose(out, np.repeat(x.max(axis=-1, keepdims=True), 3, -1), atol=0.05)


def test_invert_solarize_posterize_statistics():
    x = RNG.uniform(0, 255, (800, 2, 2, 3)).astype(np.float32)
    out = _train(layers.RandomInvert(seed=4), x)
    inverted = np.all(np.isclose(out, 255 - x), axis=(1, 2, 3))
    assert np.all(inverted | np.all(out == x, axis=(1, 2, 3)))
    assert 0.4 < inverted.mean() < 0.6  # probability drawn from (0, 1): one half on average
    out = _train(layers.Solarization(seed=4), x)  # threshold 0: every pixel inverted
    np.testing.assert_allclose(out, 255 - x, atol=1e-3)
    out = _train(layers.Solarization(threshold_factor=1.0, seed=5), x)
    inverted = out != x
    np.testing.assert_allclose(out[inverted], 255 - x[inverted], atol=1e-3)
    assert 0.2 < inverted.mean() < 0.8
    thresholds_above = np.where(inverted, x, np.inf).reshape(800, -1).min(axis=1)
    thresholds_below = np.where(~inverted, x, -np.inf).reshape(800, -1).max(axis=1)
    assert np.all(thresholds_below < thresholds_above)  # one threshold per image
    out = _train(layers.RandomPosterization((3, 3), seed=4), x)
    np.testing.assert_array_equal(out, np.floor(x / 32) * 32)


def test_color_jitter_chains_its_parts():
    x = RNG.uniform(50, 200, (300, 3, 3, 3)).astype(np.float32)
    out = _train(layers.RandomColorJitter(brightness_factor=0.1, seed=6), x)
    delta = (out - x).reshape(300, -1)
    np.testing.assert_allclose(delta, delta[:, :1].repeat(27, axis=1), atol=1e-3)
    assert np.abs(delta).max() <= 25.5 + 1e-3 and delta.std() > 5
    out = _train(layers.RandomColorJitter(saturation_factor=(0.0, 0.0), hue_factor=0.3), x)
    gray = np.repeat(x.max(axis=-1, keepdims=True), 3, -1)  # no saturation: hue is moot
    np.testing.assert_allclose(out, gray, atol=0.05)


def _equalize(channel):
    """Histogram equalization of one channel's values (0-255) with 256 bins, in numpy."""
    bins = np.clip(channel.astype(int), 0, 255)
    hist = np.bincount(bins.ravel(), minlength=256)
    if np.count_nonzero(hist) <= 1:
        return channel
    cdf = np.cumsum(hist)
    low = cdf[cdf > 0][0]
    table = np.clip(np.round((cdf - low) * 255 / (cdf[-1] - low)), 0, 255)
    return table[bins]


def test_equalization_numpy():
    x = RNG.uniform(30, 120, (3, 5, 6, 3)).astype(np.float32)
    x[..., 2] = 77.0  # a constant channel stays as it is
    expected = np.stack([_equalize(x[..., c]) for c in range(3)], axis=-1)
    np.testing.assert_allclose(layers.Equalization()(x), expected)
    np.testing.assert_allclose(_train(layers.Equalization(), x), expected)


def test_color_layers_are_identity_at_inference():
    x = RNG.uniform(0, 255, (2, 3, 3, 3)).astype(np.float32)
    for layer in (
        layers.RandomGrayscale(),
        layers.RandomHue(0.2),
        layers.RandomSaturation(0.3),
        layers.Solarization(0.1, 0.2),
        layers.RandomInvert(),
        layers.RandomPosterization(4),
        layers.RandomColorDegeneration(0.3),
        layers.RandomSharpness(0.4),
        layers.Equalization(),
        layers.RandomGaussianBlur(),
        layers.RandomColorJitter(brightness_factor=0.1, hue_factor=0.1),
    ):
        inputs = kgraph.Input((3, 3, 3))
        model = kgraph.Model(inputs, layer(inputs))
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def _lookup_reference(x, vocab, mask=None, num_oov=1):
    specials = (mask is not None) + num_oov
    table = {t: i + specials for i, t in enumerate(vocab)}
    first = int(mask is not None)
    out = [
        0
        if mask is not None and v == mask
        else table.get(v, first + (v % num_oov if num_oov else 0))
        for v in x.ravel()
    ]
    return np.asarray(out, np.int64).reshape(x.shape)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"mask_token": 0}, {"num_oov_indices": 3}, {"mask_token": 0, "num_oov_indices": 2}],
    ids=str,
)
def test_integer_lookup(kwargs):
    vocab = [12, 36, 1138, 42]
    x = np.array([[12, 1138, 42, 0], [42, 1000, 36, 7]], np.int64)
    mask, num_oov = kwargs.get("mask_token"), kwargs.get("num_oov_indices", 1)
    run_layer_test(
        layers.IntegerLookup,
        dict(vocabulary=vocab, **kwargs),
        input_shape=(2, 4),
        expected_output_shape=(2, 4),
        input_dtype="int64",
        input_data=x,
        reference=lambda x, w: _lookup_reference(x, vocab, mask, num_oov),
    )


def test_integer_lookup_invert_encodings_and_adapt():
    vocab = [12, 36, 1138, 42]
    inverse = layers.IntegerLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(inverse(np.array([1, 2, 0, 4, 9])), [12, 36, -1, 42, -1])
    multi = layers.IntegerLookup(vocabulary=vocab, output_mode="multi_hot")
    np.testing.assert_array_equal(multi(np.array([[12, 42, 5]])), [[1, 1, 0, 0, 1]])
    learned = layers.IntegerLookup(max_tokens=4)
    learned.adapt(np.array([[7, 7, 7, 3], [3, 9, 5, 5]]))  # 7 x3, 5 x2, 3 x2, 9 x1
    assert learned.get_vocabulary() == [-1, 7, 5, 3]
    assert learned.vocabulary_size() == 4


def test_integer_lookup_errors():
    with pytest.raises(ValueError, match="repeated"):
        layers.IntegerLookup(vocabulary=[1, 2, 1])
    with pytest.raises(ValueError, match="output_mode"):
        layers.IntegerLookup(output_mode="tf-idf-ish")
    with pytest.raises(ValueError, match="invert"):
        layers.IntegerLookup(invert=True, output_mode="one_hot")


def test_string_lookup_graph_and_eager():
    vocab = ["a", "b", "c", "d"]
    x = np.array([["a", "c", "d"], ["d", "z", "b"]])
    layer = layers.StringLookup(vocabulary=vocab)
    expected = np.array([[1, 3, 4], [4, 0, 2]])
    np.testing.assert_array_equal(layer(x), expected)
    np.testing.assert_array_equal(layer(x.astype("S")), expected)  # bytes tokens
    inputs = kgraph.Input((3,), dtype="string")
    model = kgraph.Model(inputs, layer(inputs))
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    data = model.to_onnx_bytes()
    graph = onnx.load_from_string(data).graph
    assert "LabelEncoder" in {n.op_type for n in graph.node}
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x.astype(object)})
    np.testing.assert_array_equal(got, expected)


def test_string_lookup_mask_invert_encode_adapt():
    vocab = ["a", "b", "c"]
    masked = layers.StringLookup(vocabulary=vocab, mask_token="")
    np.testing.assert_array_equal(masked(np.array(["a", "", "q", "c"])), [2, 0, 1, 4])
    inverse = layers.StringLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(inverse(np.array([1, 3, 0, 7])), ["a", "c", "[UNK]", "[UNK]"])
    counts = layers.StringLookup(vocabulary=vocab, output_mode="count")
    np.testing.assert_array_equal(counts(np.array([["a", "a", "x"]])), [[1, 2, 0, 0]])
    learned = layers.StringLookup()
    learned.adapt(np.array(["x", "y", "y", "z", "z", "z"]))
    assert learned.get_vocabulary() == ["[UNK]", "z", "y", "x"]
    with pytest.raises(ValueError, match="num_oov_indices"):
        layers.StringLookup(num_oov_indices=2)


def _blur_reference(x, kernel_size, sigma):
    """Zero-padded correlation with the normalised 2-D Gaussian, in numpy (float64)."""

    def taps(n, s):
        t = np.arange(n) - (n - 1) / 2
        k = np.exp(-0.5 * (t / s) ** 2)
        return k / k.sum()

    kernel = np.outer(taps(kernel_size[1], sigma[1]), taps(kernel_size[0], sigma[0]))
    ry, rx = kernel_size[1] // 2, kernel_size[0] // 2
    padded = np.pad(x.astype(np.float64), ((0, 0), (ry, ry), (rx, rx), (0, 0)))
    out = np.zeros(x.shape)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += kernel[i, j] * padded[:, i : i + x.shape[1], j : j + x.shape[2]]
    return out


@pytest.mark.parametrize("kernel_size, sigma", [((3, 3), (1.0, 1.0)), ((5, 3), (0.7, 1.5))])
def test_gaussian_blur_op(kernel_size, sigma):
    x = RNG.random((2, 9, 8, 3)).astype(np.float32)
    expected = _blur_reference(x, kernel_size, sigma)
    np.testing.assert_allclose(image_ops.gaussian_blur(x, kernel_size, sigma), expected, atol=1e-5)
    first = image_ops.gaussian_blur(x.transpose(0, 3, 1, 2), kernel_size, sigma, "channels_first")
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), expected, atol=1e-5)


def test_random_gaussian_blur_per_image():
    x = RNG.uniform(0, 255, (6, 7, 8, 3)).astype(np.float32)
    layer = layers.RandomGaussianBlur(kernel_size=(3, 5), sigma=(0.3, 0.9), seed=2)
    t = layer.get_random_transformation(x)
    sigmas = np.asarray(t["blur_factor"])
    t["should_apply_blur"] = np.ones((6, 1, 1, 1), bool)
    out = np.asarray(layer.transform_images(x, t))
    for i in range(6):
        expected = _blur_reference(x[i : i + 1], (3, 5), sigmas[i])
        np.testing.assert_allclose(out[i : i + 1], np.clip(expected, 0, 255), atol=1e-3)
    assert sigmas.min() >= 0.3 and sigmas.max() <= 0.9 + 1e-5 and sigmas.std() > 0.05
