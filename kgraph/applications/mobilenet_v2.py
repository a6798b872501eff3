"""MobileNetV2 (Sandler et al., 2018) with Keras' layer names, so Keras' published weight
files load unchanged. Inputs are scaled to ``[-1, 1]`` by ``preprocess_input`` (mode "tf")."""

from __future__ import annotations

import warnings

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional

BASE_WEIGHT_PATH = weights_lib.BASE + "mobilenet_v2/"
_SIZES = [96, 128, 160, 192, 224]
# (filters, stride, expansion) of blocks 0..16
_BLOCKS = [(16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6)]
_BLOCKS += [(64, 2, 6)] + [(64, 1, 6)] * 3 + [(96, 1, 6)] * 3
_BLOCKS += [(160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6)]


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _bn(x, name):
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)(x)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    in_channels = inputs.shape[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x, prefix = inputs, f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, 1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(x, f"{prefix}expand_BN"))
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        3,
        strides=stride,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(x, f"{prefix}depthwise_BN"))
    x = layers.Conv2D(
        pointwise_filters, 1, padding="same", use_bias=False, name=f"{prefix}project"
    )(x)
    x = _bn(x, f"{prefix}project_BN")
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _rows(input_shape, weights, alpha):
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if alpha not in [0.35, 0.50, 0.75, 1.0, 1.3, 1.4]:
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                "loaded as the default.",
                stacklevel=3,
            )
    return rows


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """MobileNetV2; ``alpha`` scales the widths. ``weights``: ``"imagenet"``, ``None`` or a
    weights file. Inputs go through ``mobilenet_v2.preprocess_input`` first."""
    weights_lib.check_weights_argument(weights, include_top, classes)
    default_size = imagenet_utils.square_size(input_shape, input_tensor, _SIZES)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, require_flatten=include_top, weights=weights
    )
    rows = _rows(input_shape, weights, alpha)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = layers.Conv2D(
        _make_divisible(32 * alpha, 8),
        3,
        strides=(2, 2),
        padding="same",
        use_bias=False,
        name="Conv1",
    )(img_input)
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn(x, "bn_Conv1"))
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, 1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn(x, "Conv_1_bn"))
    x = imagenet_utils.top_or_pooling(
        x,
        include_top,
        pooling,
        classes,
        classifier_activation,
        weights,
        top_pool_name=None,
        named_pooling=False,
    )
    name = f"mobilenetv2_{alpha:0.2f}_{rows}" if name is None else name
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    file_name = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
    file_name += f"{float(alpha)}_{rows}{'' if include_top else '_no_top'}.h5"
    weights_lib.load(model, weights, file_name, None, BASE_WEIGHT_PATH + file_name)
    return model


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]`` (``imagenet_utils.preprocess_input``, mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
