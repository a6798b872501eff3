"""EfficientNetB0-B7 (Tan and Le, 2019) with Keras' layer names, so Keras' published weight
files load unchanged.

As in Keras, the preprocessing is inside the model: ``Rescaling(1/255)``, then a
``Normalization`` layer (whose mean and variance come with the weights), then, for the
ImageNet weights only, a ``Rescaling`` by ``1/sqrt(std)`` per channel. The models take raw
``[0, 255]`` pixels and ``preprocess_input`` is the identity.
"""

from __future__ import annotations

import math

from kgraph import initializers, layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
#: variant -> (md5 of the file with the top, md5 of the ``notop`` file)
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
# (kernel_size, repeats, filters_in, filters_out, expand_ratio, strides) of the seven stages;
# every block skips its input through (id_skip) and squeezes and excites by 0.25
_STAGES = [
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
]
_SE_RATIO = 0.25
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def _conv_init():
    return initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")


def _expand(inputs, filters, activation, name):
    x = layers.Conv2D(
        filters,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=_conv_init(),
        name=f"{name}expand_conv",
    )(inputs)
    x = layers.BatchNormalization(axis=3, name=f"{name}expand_bn")(x)
    return layers.Activation(activation, name=f"{name}expand_activation")(x)


def _squeeze_excite(x, filters, filters_in, activation, name):
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    reduce, expand = max(1, int(filters_in * _SE_RATIO)), filters
    for size, act, part in ((reduce, activation, "reduce"), (expand, "sigmoid", "expand")):
        se = layers.Conv2D(
            size,
            1,
            padding="same",
            activation=act,
            kernel_initializer=_conv_init(),
            name=f"{name}se_{part}",
        )(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def block(inputs, activation, drop_rate, name, filters_in, filters_out, kernel, expand, strides):
    """Mobile inverted bottleneck: expand, depthwise conv, squeeze-excite, project, and the
    residual (with per-sample drop connect in training) when shapes allow."""
    filters = filters_in * expand
    x = _expand(inputs, filters, activation, name) if expand != 1 else inputs
    if strides == 2:
        pad = imagenet_utils.correct_pad(x, kernel)
        x = layers.ZeroPadding2D(padding=pad, name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel,
        strides=strides,
        padding="valid" if strides == 2 else "same",
        use_bias=False,
        depthwise_initializer=_conv_init(),
        name=f"{name}dwconv",
    )(x)
    x = layers.BatchNormalization(axis=3, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    x = _squeeze_excite(x, filters, filters_in, activation, name)
    x = layers.Conv2D(
        filters_out,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=_conv_init(),
        name=f"{name}project_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, name=f"{name}project_bn")(x)
    if strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _stem(img_input, weights, filters, activation):
    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=3)(x)
    if weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        filters,
        3,
        strides=2,
        padding="valid",
        use_bias=False,
        kernel_initializer=_conv_init(),
        name="stem_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, name="stem_bn")(x)
    return layers.Activation(activation, name="stem_activation")(x)


def _blocks(x, round_filters, depth_coefficient, drop_connect_rate, activation):
    repeats = [math.ceil(depth_coefficient * stage[1]) for stage in _STAGES]
    total, b = float(sum(repeats)), 0
    for i, ((kernel, _, f_in, f_out, expand, strides), count) in enumerate(zip(_STAGES, repeats)):
        f_in, f_out = round_filters(f_in), round_filters(f_out)
        for j in range(count):
            name = f"block{i + 1}{chr(j + 97)}_"
            rate = drop_connect_rate * b / total
            x = block(x, activation, rate, name, f_in, f_out, kernel, expand, strides)
            f_in, strides, b = f_out, 1, b + 1
    return x


def _head(x, args, filters, activation, dropout_rate):
    x = layers.Conv2D(
        filters,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=_conv_init(),
        name="top_conv",
    )(x)
    x = layers.BatchNormalization(axis=3, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if not args["include_top"]:
        return imagenet_utils.pool(x, args["pooling"])
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate, name="top_dropout")(x)
    imagenet_utils.validate_activation(args["classifier_activation"], args["weights"])
    return layers.Dense(
        args["classes"],
        activation=args["classifier_activation"],
        kernel_initializer=initializers.VarianceScaling(1.0 / 3.0, "fan_out", "uniform"),
        name="predictions",
    )(x)


def EfficientNet(width, depth, default_size, dropout_rate, args, weights_name=None):
    """The EfficientNet of the given width and depth coefficients; ``args`` are the public
    function's arguments (include_top, weights, input_tensor, input_shape, pooling, classes,
    classifier_activation, name)."""
    weights, include_top = args["weights"], args["include_top"]
    weights_lib.check_weights_argument(weights, include_top, args["classes"])
    input_shape = imagenet_utils.obtain_input_shape(
        args["input_shape"], default_size, 32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(args["input_tensor"], input_shape)

    def round_filters(filters, divisor=8):
        filters *= width
        new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
        return int(new_filters + divisor if new_filters < 0.9 * filters else new_filters)

    x = _stem(img_input, weights, round_filters(32), "swish")
    x = _blocks(x, round_filters, depth, 0.2, "swish")
    x = _head(x, args, round_filters(1280), "swish", dropout_rate)
    inputs = imagenet_utils.model_inputs(args["input_tensor"], img_input)
    model = Functional(inputs, x, name=args["name"])
    if weights == "imagenet":
        file_name = args["name"] + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
        weights_lib.load(model, weights, file_name, file_hash, BASE_WEIGHTS_PATH + file_name)
    else:
        weights_lib.load(model, weights)
    return model


def _variant(width, depth, size, dropout, suffix):
    def build(
        include_top=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        name=f"efficientnet{suffix}",
    ):
        return EfficientNet(width, depth, size, dropout, locals(), suffix)

    build.__name__ = build.__qualname__ = f"EfficientNet{suffix.upper()}"
    build.__doc__ = (
        f"EfficientNet{suffix.upper()} (width {width}, depth {depth}, {size}x{size} inputs); "
        "takes raw [0, 255] pixels. ``weights``: ``'imagenet'``, ``None`` or a weights file."
    )
    return build


EfficientNetB0 = _variant(1.0, 1.0, 224, 0.2, "b0")
EfficientNetB1 = _variant(1.0, 1.1, 240, 0.2, "b1")
EfficientNetB2 = _variant(1.1, 1.2, 260, 0.3, "b2")
EfficientNetB3 = _variant(1.2, 1.4, 300, 0.3, "b3")
EfficientNetB4 = _variant(1.4, 1.8, 380, 0.4, "b4")
EfficientNetB5 = _variant(1.6, 2.2, 456, 0.4, "b5")
EfficientNetB6 = _variant(1.8, 2.6, 528, 0.5, "b6")
EfficientNetB7 = _variant(2.0, 3.1, 600, 0.5, "b7")


def preprocess_input(x, data_format=None):
    """The identity: EfficientNet models preprocess inside."""
    return x


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
