"""VGG16 (Simonyan and Zisserman, 2014), and the VGG body VGG19 shares, with Keras' layer
names, so Keras' published weight files load unchanged. Inputs go through
``vgg16.preprocess_input`` (mode "caffe": BGR, minus the ImageNet mean)."""

from __future__ import annotations

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional

BASE = weights_lib.BASE
#: (file with the top, its md5), (file without the top, its md5)
WEIGHTS = (
    ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
    ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
)


def VGG(convs_per_block, args: dict, family: str, files):
    """Five blocks of 3x3 ``relu`` convolutions (``convs_per_block``) and max pooling, then
    two 4096-unit layers and the classifier with the top; ``args`` are the public function's
    arguments. ``files`` are the ImageNet (name, md5) pairs with and without the top."""
    weights, include_top = args["weights"], args["include_top"]
    weights_lib.check_weights_argument(weights, include_top, args["classes"])
    input_shape = imagenet_utils.obtain_input_shape(
        args["input_shape"], 224, 32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(args["input_tensor"], input_shape)
    x = img_input
    for block, (filters, count) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block), 1):
        for i in range(1, count + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(args["classifier_activation"], weights)
        x = layers.Dense(
            args["classes"], activation=args["classifier_activation"], name="predictions"
        )(x)
    elif args["pooling"] == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif args["pooling"] == "max":
        x = layers.GlobalMaxPooling2D()(x)
    inputs = imagenet_utils.model_inputs(args["input_tensor"], img_input)
    model = Functional(inputs, x, name=args["name"])
    file_name, file_hash = files[0 if include_top else 1]
    origin = f"{BASE}{family}/{file_name}"
    weights_lib.load(model, weights, file_name, file_hash, origin)
    return model


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    """VGG16: 2, 2, 3, 3, 3 convolutions per block."""
    return VGG((2, 2, 3, 3, 3), locals(), "vgg16", WEIGHTS)


def preprocess_input(x, data_format=None):
    """RGB pixels in ``[0, 255]`` to BGR minus the ImageNet mean (mode "caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
