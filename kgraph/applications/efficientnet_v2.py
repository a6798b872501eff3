"""EfficientNetV2 B0-B3, S, M and L (Tan and Le, 2021) with Keras' layer names, so Keras'
published weight files (``efficientnetv2-b0.h5``, ...) load unchanged.

As in Keras, the preprocessing is inside the model (``include_preprocessing=True``): the B
variants with 3 channels rescale to ``[0, 1]`` and normalize with the ImageNet mean and standard
deviation (fixed constants, no weights); S, M, L (and B with other channel counts) rescale to
``[-1, 1)`` by ``x / 128 - 1``. The models take raw ``[0, 255]`` pixels, and
``preprocess_input`` is the identity.
"""

from __future__ import annotations

from kgraph import initializers, layers
from kgraph.applications import efficientnet_v2_blocks as blocks_lib
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional

BASE_WEIGHTS_PATH = weights_lib.BASE + "efficientnet_v2/"
#: variant -> (md5 of the file with the top, md5 of the ``notop`` file)
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
IMAGENET_MEAN_RGB = [0.485, 0.456, 0.406]
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def _preprocess(x, variant, channels):
    """Keras' in-model preprocessing: V1's ImageNet normalization for the B variants (when the
    image has 3 channels), else a plain rescale to about ``[-1, 1]``."""
    if variant.startswith("b") and channels == 3:
        x = layers.Rescaling(1.0 / 255)(x)
        variance = [s**2 for s in IMAGENET_STDDEV_RGB]
        return layers.Normalization(mean=IMAGENET_MEAN_RGB, variance=variance, axis=3)(x)
    return layers.Rescaling(1.0 / 128.0, offset=-1)(x)


def _head(x, args, filters, activation, dropout_rate):
    """``top_conv`` to ``filters`` channels, then the classifier or the optional pooling."""
    x = blocks_lib.conv_bn(x, filters, 1, 1, activation, "", "top_conv", "top_bn", "top_activation")
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
        bias_initializer="zeros",
        name="predictions",
    )(x)


def EfficientNetV2(width, depth, default_size, variant, args, dropout_rate=0.2):
    """The EfficientNetV2 ``variant`` (a key of ``STAGES``) scaled by ``width`` and ``depth``;
    ``args`` are the public function's arguments (include_top, weights, input_tensor,
    input_shape, pooling, classes, classifier_activation, include_preprocessing, name)."""
    weights, include_top = args["weights"], args["include_top"]
    weights_lib.check_weights_argument(weights, include_top, args["classes"])
    input_shape = imagenet_utils.obtain_input_shape(
        args["input_shape"], default_size, 32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(args["input_tensor"], input_shape)
    stages = blocks_lib.STAGES[variant]
    x = img_input
    if args["include_preprocessing"]:
        x = _preprocess(x, variant, input_shape[-1])
    stem = blocks_lib.round_filters(stages[0][1], width)
    x = blocks_lib.conv_bn(x, stem, 3, 2, "swish", "", "stem_conv", "stem_bn", "stem_activation")
    x = blocks_lib.blocks(x, stages, width, depth, "swish")
    x = _head(x, args, blocks_lib.round_filters(1280, width), "swish", dropout_rate)
    inputs = imagenet_utils.model_inputs(args["input_tensor"], img_input)
    model = Functional(inputs, x, name=args["name"])
    if weights == "imagenet":
        file_name = args["name"] + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[variant][0 if include_top else 1]
        weights_lib.load(model, weights, file_name, file_hash, BASE_WEIGHTS_PATH + file_name)
    else:
        weights_lib.load(model, weights)
    return model


def _variant(width, depth, size, variant):
    def build(
        include_top=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        include_preprocessing=True,
        name=f"efficientnetv2-{variant}",
    ):
        return EfficientNetV2(width, depth, size, variant, locals())

    build.__name__ = build.__qualname__ = f"EfficientNetV2{variant.upper()}"
    build.__doc__ = (
        f"EfficientNetV2{variant.upper()} ({size}x{size} inputs by default); takes raw "
        "[0, 255] pixels (``[-1, 1]`` with ``include_preprocessing=False``). ``weights``: "
        "``'imagenet'``, ``None`` or a weights file."
    )
    return build


EfficientNetV2B0 = _variant(1.0, 1.0, 224, "b0")
EfficientNetV2B1 = _variant(1.0, 1.1, 240, "b1")
EfficientNetV2B2 = _variant(1.1, 1.2, 260, "b2")
EfficientNetV2B3 = _variant(1.2, 1.4, 300, "b3")
EfficientNetV2S = _variant(1.0, 1.0, 384, "s")
EfficientNetV2M = _variant(1.0, 1.0, 480, "m")
EfficientNetV2L = _variant(1.0, 1.0, 480, "l")


def preprocess_input(x, data_format=None):
    """The identity: EfficientNetV2 models preprocess inside (kept for Keras' API)."""
    return x


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
