"""ResNet50V2/101V2/152V2 (He et al., 2016: pre-activation blocks) with Keras' layer names.
Inputs go through ``resnet_v2.preprocess_input`` (mode "tf": to ``[-1, 1]``)."""

from __future__ import annotations

from kgraph.applications import imagenet_utils, resnet


def _v2_stacks(depths):
    def stack_fn(x):
        x = resnet.stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = resnet.stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = resnet.stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return resnet.stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return stack_fn


def ResNet50V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50v2",
):
    """ResNet50V2 (3, 4, 6, 3 pre-activation blocks)."""
    return resnet.ResNet(_v2_stacks((3, 4, 6, 3)), True, True, locals(), "resnet50v2")


def ResNet101V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101v2",
):
    """ResNet101V2 (3, 4, 23, 3 pre-activation blocks)."""
    return resnet.ResNet(_v2_stacks((3, 4, 23, 3)), True, True, locals(), "resnet101v2")


def ResNet152V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152v2",
):
    """ResNet152V2 (3, 8, 36, 3 pre-activation blocks)."""
    return resnet.ResNet(_v2_stacks((3, 8, 36, 3)), True, True, locals(), "resnet152v2")


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]`` (mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """ImageNet class names of the ``top`` scores of each row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
