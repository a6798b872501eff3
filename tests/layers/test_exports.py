"""``kgraph.layers`` exports the Keras 3 names of the foundation layer set."""

from __future__ import annotations

import pytest

import kgraph as keras

NAMES = [
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Dense",
    "Dropout",
    "ELU",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "Identity",
    "LeakyReLU",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "Minimum",
    "Multiply",
    "Permute",
    "ReLU",
    "Reshape",
    "Softmax",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
ZOO_NAMES = [  # the layers real architectures are built from (issue 10)
    "ActivityRegularization", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D", "AlphaDropout", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose", "Convolution2DTranspose", "Cropping1D", "Cropping2D", "Cropping3D",
    "DepthwiseConv1D", "DepthwiseConv2D", "Dot", "EinsumDense", "Embedding", "GaussianDropout",
    "GaussianNoise", "GroupNormalization", "Lambda", "LayerNormalization", "Masking", "PReLU",
    "RMSNormalization", "RepeatVector", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution2D", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "SpectralNormalization", "TimeDistributed", "UnitNormalization", "UpSampling1D",
    "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "dot",
]  # fmt: skip
NAMES += ZOO_NAMES


@pytest.mark.parametrize("name", NAMES)
def test_exported(name):
    assert name in keras.layers.__all__
    assert getattr(keras.layers, name) is not None


def test_all_names_resolve():
    for name in keras.layers.__all__:
        assert hasattr(keras.layers, name), name


def test_auto_names_follow_keras():
    assert keras.layers.MaxPooling2D().name.startswith("max_pooling2d")
    assert keras.layers.BatchNormalization().name.startswith("batch_normalization")
    assert keras.layers.GlobalAveragePooling1D().name.startswith("global_average_pooling1d")
    assert keras.layers.DepthwiseConv2D(3).name.startswith("depthwise_conv2d")
    assert keras.layers.Conv2DTranspose(2, 3).name.startswith("conv2d_transpose")
    assert keras.layers.ZeroPadding2D().name.startswith("zero_padding2d")
    assert keras.layers.UpSampling2D().name.startswith("up_sampling2d")
