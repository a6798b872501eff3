"""Xception (Chollet, 2017) with Keras' layer names, so Keras' published weight files load
unchanged (the residual projections are unnamed in Keras too: they load by position).
Inputs go through ``xception.preprocess_input`` (mode "tf": to ``[-1, 1]``)."""

from __future__ import annotations

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib

BASE = weights_lib.BASE + "xception/"
WEIGHTS = (
    ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
)


def _sep_bn(x, filters, name, act=None):
    """Optional relu named ``act``, then a 3x3 separable convolution and its batch norm."""
    if act:
        x = layers.Activation("relu", name=act)(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=-1, name=f"{name}_bn")(x)


def _projection(x, filters):
    residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=-1)(residual)


def _entry_block(x, block, filters, first_relu=True):
    """Two separable convolutions, strided max pooling, plus the projected input."""
    residual = _projection(x, filters[1])
    p = f"block{block}"
    x = _sep_bn(x, filters[0], f"{p}_sepconv1", f"{p}_sepconv1_act" if first_relu else None)
    x = _sep_bn(x, filters[1], f"{p}_sepconv2", f"{p}_sepconv2_act")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"{p}_pool")(x)
    return layers.add([x, residual])


def _body(img_input):
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=-1, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=-1, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _entry_block(x, 2, (128, 128), first_relu=False)
    x = _entry_block(x, 3, (256, 256))
    x = _entry_block(x, 4, (728, 728))
    for i in range(8):
        residual, p = x, f"block{i + 5}"
        for k in (1, 2, 3):
            x = _sep_bn(x, 728, f"{p}_sepconv{k}", f"{p}_sepconv{k}_act")
        x = layers.add([x, residual])
    x = _entry_block(x, 13, (728, 1024))
    x = _sep_bn(x, 1536, "block14_sepconv1")
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2")
    return layers.Activation("relu", name="block14_sepconv2_act")(x)


def Xception(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="xception",
):
    """Xception: depthwise separable convolutions with residual connections; 299x299 inputs
    by default, at least 71x71."""
    return imagenet_utils.inception_family_model(
        _body,
        71,
        WEIGHTS,
        BASE,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
    )


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]`` (mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
