"""The architectures without Keras: Keras' published parameter counts, output shapes for the
top / pooling / feature-map endings, ``input_tensor``, names, argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import applications

# Keras' parameter counts (model.count_params() of keras.applications, weights=None)
COUNTS = [
    ("MobileNetV3Small", dict(input_shape=(224, 224, 3)), 2_554_968),
    ("MobileNetV2", dict(), 3_538_984),
    ("MobileNet", dict(), 4_253_864),
    ("ResNet50", dict(), 25_636_712),
    ("VGG16", dict(include_top=False), 14_714_688),
    ("DenseNet121", dict(), 8_062_504),
    ("InceptionV3", dict(), 23_851_784),
    ("InceptionResNetV2", dict(include_top=False), 54_336_736),
]


@pytest.mark.parametrize("name, kwargs, count", COUNTS, ids=[c[0] for c in COUNTS])
def test_parameter_counts(name, kwargs, count):
    model = getattr(applications, name)(weights=None, **kwargs)
    assert model.count_params() == count


@pytest.mark.parametrize("pooling, shape", [(None, (2, 1, 1, 576)), ("avg", (2, 576))])
def test_feature_extractor_shapes(pooling, shape):
    model = applications.MobileNetV3Small(
        weights=None, include_top=False, pooling=pooling, input_shape=(32, 32, 3)
    )
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert model.predict(x, verbose=0).shape == shape


def test_classifier_head_and_activation():
    model = applications.ResNet50(
        weights=None, input_shape=(32, 32, 3), classes=7, classifier_activation=None
    )
    x = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3)).astype("float32")
    logits = model.predict(x, verbose=0)
    assert logits.shape == (3, 7)
    assert not np.allclose(logits.sum(axis=1), 1.0)  # no softmax
    softmax = applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=5)
    probs = softmax.predict(x, verbose=0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_input_tensor_is_the_model_input():
    inputs = kgraph.Input((48, 48, 3), name="pixels")
    model = applications.EfficientNetB0(weights=None, include_top=False, input_tensor=inputs)
    assert model.inputs[0] is inputs
    scaled = kgraph.layers.Rescaling(2.0)(inputs)
    nested = applications.MobileNet(weights=None, include_top=False, input_tensor=scaled)
    assert nested.inputs[0] is inputs
    assert nested.outputs[0].shape == (None, 1, 1, 1024)


def _kinds(model) -> list[str]:
    """Class names of the model's layers after its input."""
    kinds = [type(layer).__name__ for layer in model.layers]
    return [k for k in kinds if k != "InputLayer"]


def test_names_follow_keras():
    assert applications.MobileNetV2(weights=None, alpha=0.5, input_shape=(96, 96, 3)).name == (
        "mobilenetv2_0.50_96"
    )
    assert applications.MobileNet(weights=None).name == "mobilenet_1.00_224"
    assert applications.MobileNet(weights=None, include_top=False).name == "mobilenet_1.00_None"
    model = applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3))
    assert model.name == "MobileNetV3Small"
    names = {layer.name for layer in model.layers}
    assert {"conv", "conv_bn", "expanded_conv_depthwise", "expanded_conv_10_project_bn"} <= names
    assert {"conv_2", "logits", "predictions"} <= names
    assert _kinds(model)[0] == "Rescaling"
    plain = applications.MobileNetV3Small(
        weights=None, input_shape=(32, 32, 3), include_preprocessing=False
    )
    assert _kinds(plain)[0] == "Conv2D"


def test_efficientnet_imagenet_only_layer_is_left_out_without_imagenet():
    model = applications.EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert _kinds(model)[:3] == ["Rescaling", "Normalization", "ZeroPadding2D"]


def test_argument_errors():
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.MobileNetV3Small(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="static `input_shape`"):
        applications.ResNet50(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="input_tensor"):
        applications.ResNet50(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))
