"""MobileNetV3Small and MobileNetV3Large (Howard et al., 2019) with Keras' layer names, so
Keras' published weight files load unchanged.

As in Keras, the preprocessing is inside the model (``include_preprocessing=True`` puts a
``Rescaling`` from ``[0, 255]`` to ``[-1, 1]`` first), so an exported model takes raw pixels;
``preprocess_input`` is the identity, kept for API compatibility.
"""

from __future__ import annotations

import warnings

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional

BASE_WEIGHT_PATH = weights_lib.BASE + "mobilenet_v3/"
#: model name -> (md5 of the file with the top, md5 of the ``no_top_v2`` file)
WEIGHTS_HASHES = {
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb",
        "40af19a13ebea4e2ee0c676887f69a2e",
    ),
    "large_224_1.0_float": (
        "59e551e166be033d707958cf9e29a6a7",
        "07fb09a5933dd0c8eaafa16978110389",
    ),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c",
        "ec5221f64a2f6d1ef965a614bdae7973",
    ),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7",
        "ebdb5cc8e0b497cd13a7c275d475c819",
    ),
    "small_224_1.0_float": (
        "8768d4c2e7dee89b9d02b2d03d65d862",
        "d3e8ec802a04aa4fc771ee12a9a9b836",
    ),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37",
        "cde8136e733e811080d9fcd8a252f7e4",
    ),
}

# (expansion, filters, kernel or None for the variant's kernel, stride, squeeze-excite, activation
# "relu" or None for the variant's activation) of each inverted residual block
_SMALL = [
    (1, 16, 3, 2, True, "relu"),
    (72 / 16, 24, 3, 2, False, "relu"),
    (88 / 24, 24, 3, 1, False, "relu"),
    (4, 40, None, 2, True, None),
    (6, 40, None, 1, True, None),
    (6, 40, None, 1, True, None),
    (3, 48, None, 1, True, None),
    (3, 48, None, 1, True, None),
    (6, 96, None, 2, True, None),
    (6, 96, None, 1, True, None),
    (6, 96, None, 1, True, None),
]
_LARGE = [
    (1, 16, 3, 1, False, "relu"),
    (4, 24, 3, 2, False, "relu"),
    (3, 24, 3, 1, False, "relu"),
    (3, 40, None, 2, True, "relu"),
    (3, 40, None, 1, True, "relu"),
    (3, 40, None, 1, True, "relu"),
    (6, 80, 3, 2, False, None),
    (2.5, 80, 3, 1, False, None),
    (2.3, 80, 3, 1, False, None),
    (2.3, 80, 3, 1, False, None),
    (6, 112, 3, 1, True, None),
    (6, 112, 3, 1, True, None),
    (6, 160, None, 2, True, None),
    (6, 160, None, 1, True, None),
    (6, 160, None, 1, True, None),
]


def _depth(v, divisor=8, min_value=None):
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _relu(x):
    return layers.ReLU()(x)


def _hard_sigmoid(x):
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _bn(x, name):
    return layers.BatchNormalization(axis=-1, epsilon=1e-3, momentum=0.999, name=name)(x)


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs
    )
    x = layers.Conv2D(
        _depth(filters * se_ratio), 1, padding="same", name=f"{prefix}squeeze_excite_conv"
    )(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel, stride, se_ratio, activation, block_id):
    shortcut, infilters = x, x.shape[-1]
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(
            _depth(infilters * expansion), 1, padding="same", use_bias=False, name=f"{prefix}expand"
        )(x)
        x = activation(_bn(x, f"{prefix}expand_bn"))
    if stride == 2:
        pad = imagenet_utils.correct_pad(x, kernel)
        x = layers.ZeroPadding2D(padding=pad, name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
        name=f"{prefix}depthwise",
    )(x)
    x = activation(_bn(x, f"{prefix}depthwise_bn"))
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_bn")
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def _input_shape(input_shape, input_tensor, weights, alpha, minimalistic):
    has_both = input_shape is not None and input_tensor is not None
    if has_both and input_tensor.shape[2] != input_shape[1]:
        raise ValueError(
            "input_shape[1] must equal input_tensor.shape[2].  Received "
            f"input_shape={input_shape}, input_tensor.shape={input_tensor.shape}"
        )
    if input_shape is None and input_tensor is not None:
        input_shape = (input_tensor.shape[2], input_tensor.shape[1], 3)
    input_shape = (None, None, 3) if input_shape is None else tuple(input_shape)
    rows, cols = input_shape[0], input_shape[1]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in [0.75, 1.0]) or (minimalistic and alpha != 1.0):
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                "non minimalistic or `1.0` for minimalistic only."
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not 224. Weights for "
                "input shape (224, 224) will be loaded as the default.",
                stacklevel=4,
            )
    return input_shape


def _top(x, last_point_ch, activation, dropout_rate, classes, classifier_activation, weights):
    x = layers.GlobalAveragePooling2D(keepdims=True)(x)
    x = layers.Conv2D(last_point_ch, 1, padding="same", use_bias=True, name="conv_2")(x)
    x = activation(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate)(x)
    x = layers.Conv2D(classes, 1, padding="same", name="logits")(x)
    x = layers.Flatten()(x)
    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Activation(activation=classifier_activation, name="predictions")(x)


def MobileNetV3(blocks, last_point_ch, model_type, args: dict):
    """The shared body of both sizes; ``args`` are the public function's arguments."""
    weights, alpha, minimalistic = args["weights"], args["alpha"], args["minimalistic"]
    weights_lib.check_weights_argument(weights, args["include_top"], args["classes"])
    input_tensor = args["input_tensor"]
    shape = _input_shape(args["input_shape"], input_tensor, weights, alpha, minimalistic)
    img_input = imagenet_utils.image_input(input_tensor, shape)
    kernel, activation, se_ratio = (3, _relu, None) if minimalistic else (5, _hard_swish, 0.25)
    x = img_input
    if args["include_preprocessing"]:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, 3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = activation(_bn(x, "conv_bn"))
    for block_id, (expansion, filters, k, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(
            x,
            expansion,
            _depth(filters * alpha),
            k or kernel,
            stride,
            se_ratio if se else None,
            _relu if act == "relu" else activation,
            block_id,
        )
    last_conv_ch = _depth(x.shape[-1] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = activation(_bn(x, "conv_1_bn"))
    if args["include_top"]:
        x = _top(
            x,
            last_point_ch,
            activation,
            args["dropout_rate"],
            args["classes"],
            args["classifier_activation"],
            weights,
        )
    else:
        x = imagenet_utils.pool(x, args["pooling"])
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=args["name"])
    model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    if weights == "imagenet":
        top = args["include_top"]
        file_name = f"weights_mobilenet_v3_{model_name}{'' if top else '_no_top_v2'}.h5"
        file_hash = WEIGHTS_HASHES[model_name][0 if top else 1]
        weights_lib.load(model, weights, file_name, file_hash, BASE_WEIGHT_PATH + file_name)
    else:
        weights_lib.load(model, weights)
    return model


def MobileNetV3Small(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Small",
):
    """MobileNetV3Small; inputs are pixels in ``[0, 255]`` (``[-1, 1]`` without
    ``include_preprocessing``). ``weights``: ``"imagenet"``, ``None`` or a weights file."""
    return MobileNetV3(_SMALL, 1024, "small", locals())


def MobileNetV3Large(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Large",
):
    """MobileNetV3Large; inputs are pixels in ``[0, 255]`` (``[-1, 1]`` without
    ``include_preprocessing``). ``weights``: ``"imagenet"``, ``None`` or a weights file."""
    return MobileNetV3(_LARGE, 1280, "large", locals())


def preprocess_input(x, data_format=None):
    """The identity: MobileNetV3 models preprocess inside (``include_preprocessing``)."""
    return x


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
