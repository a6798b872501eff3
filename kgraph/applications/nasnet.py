"""NASNet-A (Zoph et al., 2018): NASNetMobile (4 @ 1056, 224x224) and NASNetLarge
(6 @ 4032, 331x331) with Keras' layer names and order, so Keras' published weight files
(``nasnet_mobile.h5``, ``nasnet_large.h5`` and their ``_no_top`` files in the Keras cache) load
unchanged. Inputs go through ``nasnet.preprocess_input`` (mode "tf": to ``[-1, 1]``)."""

from __future__ import annotations

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.applications.nasnet_cells import normal_a_cell, reduction_a_cell
from kgraph.models.functional import Functional

BASE = weights_lib.BASE + "nasnet/"
#: default size -> ((cache name, origin file, hash) with the top, the same without)
WEIGHTS = {
    224: (
        ("nasnet_mobile.h5", "NASNet-mobile.h5", "020fb642bf7360b370c678b08e0adf61"),
        ("nasnet_mobile_no_top.h5", "NASNet-mobile-no-top.h5", "1ed92395b5b598bdda52abe5c0dbfd63"),
    ),
    331: (
        ("nasnet_large.h5", "NASNet-large.h5", "11577c9a518f0070763c2b964a382f17"),
        ("nasnet_large_no_top.h5", "NASNet-large-no-top.h5", "d81d89dc07e6e56530c4e77faddd61b5"),
    ),
}


def _cells(x, filters, num_blocks, skip_reduction, multiplier):
    """Two stem reductions, then three stacks of ``num_blocks`` normal cells separated by
    reductions that double the filters. With ``skip_reduction`` the cell after a reduction
    sees the reduction's previous input rather than the reduction's input (NASNetLarge)."""
    x, p = reduction_a_cell(x, None, filters // multiplier**2, block_id="stem_1")
    x, p = reduction_a_cell(x, p, filters // multiplier, block_id="stem_2")
    for stack in range(3):
        width = filters * multiplier**stack
        if stack:
            x, p0 = reduction_a_cell(x, p, width, block_id=f"reduce_{stack * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            x, p = normal_a_cell(x, p, width, block_id=f"{stack * num_blocks + i + min(stack, 1)}")
    return x


def _check_arguments(input_shape, penultimate_filters, filter_multiplier, weights):
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(
            "When specifying the input shape of a NASNet and loading `ImageNet` weights, the "
            f"input_shape argument must be static (no None entries). Got: "
            f"`input_shape={input_shape}`."
        )
    if penultimate_filters % (24 * filter_multiplier**2) != 0:
        raise ValueError(
            "For NASNet-A models, the `penultimate_filters` must be a multiple of 24 * "
            f"(`filter_multiplier` ** 2). Received: penultimate_filters={penultimate_filters}"
        )


def NASNet(
    input_shape=None,
    penultimate_filters=4032,
    num_blocks=6,
    stem_block_filters=96,
    skip_reduction=True,
    filter_multiplier=2,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    default_size=None,
    classifier_activation="softmax",
    name="NASNet",
):
    """A NASNet-A ``N @ P`` (``num_blocks`` @ ``penultimate_filters``); inputs of at least
    32x32. ImageNet weights exist only for the Mobile (224) and Large (331) settings."""
    weights_lib.check_weights_argument(weights, include_top, classes)
    _check_arguments(input_shape, penultimate_filters, filter_multiplier, weights)
    default_size = default_size or 331
    if weights == "imagenet" and default_size not in WEIGHTS:
        raise ValueError("ImageNet weights can only be loaded with NASNetLarge or NASNetMobile")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size, 32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    x = layers.Conv2D(
        stem_block_filters,
        (3, 3),
        strides=(2, 2),
        padding="valid",
        use_bias=False,
        name="stem_conv1",
        kernel_initializer="he_normal",
    )(img_input)
    x = layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name="stem_bn1")(x)
    x = _cells(x, penultimate_filters // 24, num_blocks, skip_reduction, filter_multiplier)
    x = layers.Activation("relu")(x)
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
    model = Functional(imagenet_utils.model_inputs(input_tensor, img_input), x, name=name)
    if weights == "imagenet":
        file_name, origin, file_hash = WEIGHTS[default_size][0 if include_top else 1]
        weights_lib.load(model, weights, file_name, file_hash, BASE + origin)
    else:
        weights_lib.load(model, weights)
    return model


def NASNetMobile(
    input_shape=None,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="nasnet_mobile",
):
    """NASNet-A 4 @ 1056 for 224x224 images, also by default without the top (its cells
    compare static widths, so the size is fixed); other sizes of at least 32x32 only without
    the ImageNet top."""
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(
        input_shape,
        penultimate_filters=1056,
        num_blocks=4,
        stem_block_filters=32,
        skip_reduction=False,
        filter_multiplier=2,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        pooling=pooling,
        classes=classes,
        default_size=224,
        classifier_activation=classifier_activation,
        name=name,
    )


def NASNetLarge(
    input_shape=None,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="nasnet_large",
):
    """NASNet-A 6 @ 4032 for 331x331 images; other sizes of at least 32x32 only without the
    ImageNet top. Without the top, give an ``input_shape``: as in Keras, a model of unknown
    size builds, but its cells compare static widths, miss the stem's reduction and fail at
    run time."""
    return NASNet(
        input_shape,
        penultimate_filters=4032,
        num_blocks=6,
        stem_block_filters=96,
        skip_reduction=True,
        filter_multiplier=2,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        pooling=pooling,
        classes=classes,
        default_size=331,
        classifier_activation=classifier_activation,
        name=name,
    )


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]`` (mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
