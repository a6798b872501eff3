"""InceptionResNetV2 (Szegedy et al., 2016) with Keras' layers in Keras' order (most are
unnamed in Keras too, so Keras' published weight files load by position). Inputs go through
``inception_resnet_v2.preprocess_input`` (mode "tf": to ``[-1, 1]``)."""

from __future__ import annotations

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib

BASE_WEIGHT_URL = weights_lib.BASE + "inception_resnet_v2/"
WEIGHTS = (
    (
        "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
        "e693bd0210a403b3192acc6073ad2e96",
    ),
    (
        "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "d19885ff4a710c122648d3b5c3b684e4",
    ),
)
# block type -> (branch specs of (filters, kernel) chains, scale, repeats)
_BLOCKS = {
    "block35": ([[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]], 0.17, 10),
    "block17": ([[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]], 0.1, 20),
    "block8": ([[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]], 0.2, 10),
}


class CustomScaleLayer(layers.Layer):
    """``inputs[0] + inputs[1] * scale``: the residual sum with a scaled residual."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def conv2d_bn(
    x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False, name=None
):
    """Convolution, batch norm without scale (unless the convolution has a bias), activation."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name
    )(x)
    if not use_bias:
        bn_name = None if name is None else f"{name}_bn"
        x = layers.BatchNormalization(axis=3, scale=False, name=bn_name)(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _chain(x, specs, last_strides=1, last_padding="same"):
    for k, (filters, kernel) in enumerate(specs):
        last = k == len(specs) - 1
        x = conv2d_bn(
            x,
            filters,
            kernel,
            strides=last_strides if last else 1,
            padding=last_padding if last else "same",
        )
    return x


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """Inception branches, concatenated, projected back by a 1x1 convolution with bias and
    added to the input scaled by ``scale``."""
    if block_type not in _BLOCKS:
        raise ValueError(
            'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", '
            f"but got: {block_type}"
        )
    branches = [_chain(x, specs) for specs in _BLOCKS[block_type][0]]
    name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=3, name=f"{name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[3], 1, activation=None, use_bias=True, name=f"{name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{name}_ac")(x)
    return x


def _stem(img_input):
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branches = [_chain(x, [(96, 1)]), _chain(x, [(48, 1), (64, 5)])]
    branches.append(_chain(x, [(64, 1), (96, 3), (96, 3)]))
    pooled = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branches.append(conv2d_bn(pooled, 64, 1))
    return layers.Concatenate(axis=3, name="mixed_5b")(branches)


def _reduction(x, chains, name):
    branches = [_chain(x, specs, 2, "valid") for specs in chains]
    branches.append(layers.MaxPooling2D(3, strides=2, padding="valid")(x))
    return layers.Concatenate(axis=3, name=name)(branches)


def _body(img_input):
    x = _stem(img_input)
    for idx in range(1, 11):
        x = inception_resnet_block(x, 0.17, "block35", idx)
    x = _reduction(x, [[(384, 3)], [(256, 1), (256, 3), (384, 3)]], "mixed_6a")
    for idx in range(1, 21):
        x = inception_resnet_block(x, 0.1, "block17", idx)
    chains = [[(256, 1), (384, 3)], [(256, 1), (288, 3)], [(256, 1), (288, 3), (320, 3)]]
    x = _reduction(x, chains, "mixed_7a")
    for idx in range(1, 10):
        x = inception_resnet_block(x, 0.2, "block8", idx)
    x = inception_resnet_block(x, 1.0, "block8", 10, activation=None)
    return conv2d_bn(x, 1536, 1, name="conv_7b")


def InceptionResNetV2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_resnet_v2",
):
    """InceptionResNetV2; 299x299 inputs by default, at least 75x75."""
    return imagenet_utils.inception_family_model(
        _body,
        75,
        WEIGHTS,
        BASE_WEIGHT_URL,
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
