"""``imagenet_utils``: preprocessing modes against numpy written here, decode_predictions on a
class index, input shape checks, the padding before strided convolutions."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.applications import imagenet_utils, mobilenet_v2, mobilenet_v3, resnet

MEAN_BGR = np.array([103.939, 116.779, 123.68])


def _images(shape=(2, 5, 4, 3), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def _reference(x, mode, channels_first=False):
    x = np.asarray(x, "float64")
    if channels_first:
        x = np.moveaxis(x, -3 if x.ndim == 3 else 1, -1)
    if mode == "tf":
        out = x / 127.5 - 1
    elif mode == "torch":
        out = (x / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    else:
        out = x[..., ::-1] - MEAN_BGR
    if channels_first:
        out = np.moveaxis(out, -1, -3 if x.ndim == 3 else 1)
    return out


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_numpy_and_graph_match_reference(mode):
    x = _images()
    expected = _reference(x, mode)
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(x.copy(), mode=mode), expected, rtol=1e-5, atol=1e-4
    )
    inputs = kgraph.Input((5, 4, 3))
    model = kgraph.Model(inputs, imagenet_utils.preprocess_input(inputs, mode=mode))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("mode", ["caffe", "torch"])
def test_preprocess_channels_first(mode):
    x = _images((2, 3, 4, 5))
    got = imagenet_utils.preprocess_input(x, data_format="channels_first", mode=mode)
    np.testing.assert_allclose(got, _reference(x, mode, True), rtol=1e-5, atol=1e-4)
    single = imagenet_utils.preprocess_input(x[0], data_format="channels_first", mode=mode)
    np.testing.assert_allclose(single, _reference(x[0], mode, True), rtol=1e-5, atol=1e-4)


def test_preprocess_integer_images_become_float():
    x = np.full((1, 2, 2, 3), 255, np.uint8)
    got = imagenet_utils.preprocess_input(x, mode="tf")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, 1.0)


def test_family_preprocessing_modes():
    x = _images()
    np.testing.assert_allclose(resnet.preprocess_input(x.copy()), _reference(x, "caffe"), atol=1e-4)
    np.testing.assert_allclose(mobilenet_v2.preprocess_input(x.copy()), x / 127.5 - 1, atol=1e-5)
    assert mobilenet_v3.preprocess_input(x) is x


def test_preprocess_rejects_bad_mode_and_format():
    with pytest.raises(ValueError, match="Received: mode=caffee"):
        imagenet_utils.preprocess_input(_images(), mode="caffee")
    with pytest.raises(ValueError, match="Received: data_format=nhwc"):
        imagenet_utils.preprocess_input(_images(), data_format="nhwc")


def test_decode_predictions(monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", index)
    preds = np.zeros((2, 1000), "float32")
    preds[0, [3, 7, 11]] = [0.2, 0.5, 0.3]
    preds[1, 999] = 1.0
    decoded = imagenet_utils.decode_predictions(preds, top=3)
    assert [(c, d) for c, d, _ in decoded[0]] == [
        ("n00000007", "class_7"),
        ("n00000011", "class_11"),
        ("n00000003", "class_3"),
    ]
    assert decoded[0][0][2] == pytest.approx(0.5)
    assert decoded[1][0][:2] == ("n00000999", "class_999")
    with pytest.raises(ValueError, match=r"Received array with shape: \(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


def test_obtain_input_shape_rules():
    get = imagenet_utils.obtain_input_shape
    assert get(None, 224, 32, require_flatten=True) == (224, 224, 3)
    assert get(None, 224, 32, require_flatten=False) == (None, None, 3)
    assert get((64, 80, 3), 224, 32, require_flatten=False) == (64, 80, 3)
    with pytest.raises(ValueError, match="at least 32x32"):
        get((16, 64, 3), 224, 32, require_flatten=False)
    with pytest.raises(ValueError, match="should be"):
        get((96, 96, 3), 224, 32, require_flatten=True, weights="imagenet")
    with pytest.raises(ValueError, match="3 channels"):
        get((64, 64, 1), 224, 32, require_flatten=False, weights="imagenet")
    with pytest.raises(ValueError, match="static `input_shape`"):
        get((None, None, 3), 224, 32, require_flatten=True)


def test_correct_pad_matches_same_padding():
    """Padding + 'valid' stride-2 convolution gives TensorFlow's 'same' output size, with
    the extra row/column on the bottom/right for even sizes."""
    even = kgraph.Input((8, 8, 3))
    odd = kgraph.Input((7, 9, 3))
    assert imagenet_utils.correct_pad(even, 3) == ((0, 1), (0, 1))
    assert imagenet_utils.correct_pad(odd, (5, 3)) == ((2, 2), (1, 1))
    assert imagenet_utils.correct_pad(kgraph.Input((None, None, 3)), 5) == ((1, 2), (1, 2))


def test_validate_activation():
    imagenet_utils.validate_activation("relu", None)
    imagenet_utils.validate_activation("softmax", "imagenet")
    imagenet_utils.validate_activation(None, "imagenet")
    with pytest.raises(ValueError, match="classifier_activation"):
        imagenet_utils.validate_activation("sigmoid", "imagenet")
