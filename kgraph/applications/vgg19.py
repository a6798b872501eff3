"""VGG19 (Simonyan and Zisserman, 2014) with Keras' layer names. Inputs go through
``vgg19.preprocess_input`` (mode "caffe": BGR, minus the ImageNet mean)."""

from __future__ import annotations

from kgraph.applications import vgg16
from kgraph.applications.vgg16 import decode_predictions, preprocess_input

WEIGHTS = (
    ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
    ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"),
)

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]


def VGG19(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg19",
):
    """VGG19: 2, 2, 4, 4, 4 convolutions per block."""
    return vgg16.VGG((2, 2, 4, 4, 4), locals(), "vgg19", WEIGHTS)
