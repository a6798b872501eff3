"""DenseNet121/169/201 (Huang et al., 2016) with Keras' layer names, so Keras' published
weight files load unchanged. Inputs go through ``densenet.preprocess_input`` (mode "torch":
to ``[0, 1]``, then the ImageNet per-channel mean and std)."""

from __future__ import annotations

from kgraph import layers
from kgraph.applications import imagenet_utils
from kgraph.applications import weights as weights_lib
from kgraph.models.functional import Functional

BASE_WEIGHTS_PATH = weights_lib.BASE + "densenet/"
#: blocks per stage -> (depth, md5 of the file with the top, md5 of the ``notop`` file)
WEIGHTS = {
    (6, 12, 24, 16): (121, "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): (169, "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): (201, "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPS = 1.001e-5


def conv_block(x, growth_rate, name):
    """BN-relu-1x1 conv, BN-relu-3x3 conv, whose ``growth_rate`` channels join the input."""
    x1 = layers.BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, args: dict):
    """A DenseNet with ``blocks`` conv blocks per dense block; ``args`` are the public
    function's arguments (include_top, weights, input_tensor, input_shape, pooling, classes,
    classifier_activation, name)."""
    weights, include_top = args["weights"], args["include_top"]
    weights_lib.check_weights_argument(weights, include_top, args["classes"])
    input_shape = imagenet_utils.obtain_input_shape(
        args["input_shape"], 224, 32, require_flatten=include_top, weights=weights
    )
    img_input = imagenet_utils.image_input(args["input_tensor"], input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{stage + 2}")
        if stage < 3:
            x = transition_block(x, 0.5, name=f"pool{stage + 2}")
    x = layers.BatchNormalization(axis=3, epsilon=_EPS, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    x = imagenet_utils.top_or_pooling(
        x, include_top, args["pooling"], args["classes"], args["classifier_activation"], weights
    )
    inputs = imagenet_utils.model_inputs(args["input_tensor"], img_input)
    model = Functional(inputs, x, name=args["name"])
    if weights == "imagenet":
        if tuple(blocks) not in WEIGHTS:
            raise ValueError("weights_path undefined")
        depth, top_hash, notop_hash = WEIGHTS[tuple(blocks)]
        suffix = "" if include_top else "_notop"
        file_name = f"densenet{depth}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = top_hash if include_top else notop_hash
        weights_lib.load(model, weights, file_name, file_hash, BASE_WEIGHTS_PATH + file_name)
    else:
        weights_lib.load(model, weights)
    return model


def DenseNet121(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet121",
):
    """DenseNet121: 6, 12, 24, 16 conv blocks."""
    return DenseNet([6, 12, 24, 16], locals())


def DenseNet169(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet169",
):
    """DenseNet169: 6, 12, 32, 32 conv blocks."""
    return DenseNet([6, 12, 32, 32], locals())


def DenseNet201(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet201",
):
    """DenseNet201: 6, 12, 48, 32 conv blocks."""
    return DenseNet([6, 12, 48, 32], locals())


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[0, 1]``, then ImageNet's per-channel mean and std."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
