"""``kgraph.layers``: Keras-compatible layers written in ``kgraph.ops``."""

from kgraph.layers.activations.elu import ELU
from kgraph.layers.activations.leaky_relu import LeakyReLU
from kgraph.layers.activations.relu import ReLU
from kgraph.layers.activations.softmax import Softmax
from kgraph.layers.convolutional.base_conv import BaseConv
from kgraph.layers.convolutional.conv1d import Conv1D, Convolution1D
from kgraph.layers.convolutional.conv2d import Conv2D, Convolution2D
from kgraph.layers.convolutional.conv3d import Conv3D, Convolution3D
from kgraph.layers.core.activation import Activation
from kgraph.layers.core.dense import Dense
from kgraph.layers.core.identity import Identity
from kgraph.layers.core.input_layer import Input, InputLayer
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.merging.add import Add, add
from kgraph.layers.merging.average import Average, average
from kgraph.layers.merging.concatenate import Concatenate, concatenate
from kgraph.layers.merging.maximum import Maximum, maximum
from kgraph.layers.merging.minimum import Minimum, minimum
from kgraph.layers.merging.multiply import Multiply, multiply
from kgraph.layers.merging.subtract import Subtract, subtract
from kgraph.layers.normalization.batch_normalization import BatchNormalization
from kgraph.layers.pooling.average_pooling1d import AveragePooling1D, AvgPool1D
from kgraph.layers.pooling.average_pooling2d import AveragePooling2D, AvgPool2D
from kgraph.layers.pooling.average_pooling3d import AveragePooling3D, AvgPool3D
from kgraph.layers.pooling.global_average_pooling1d import GlobalAveragePooling1D, GlobalAvgPool1D
from kgraph.layers.pooling.global_average_pooling2d import GlobalAveragePooling2D, GlobalAvgPool2D
from kgraph.layers.pooling.global_average_pooling3d import GlobalAveragePooling3D, GlobalAvgPool3D
from kgraph.layers.pooling.global_max_pooling1d import GlobalMaxPool1D, GlobalMaxPooling1D
from kgraph.layers.pooling.global_max_pooling2d import GlobalMaxPool2D, GlobalMaxPooling2D
from kgraph.layers.pooling.global_max_pooling3d import GlobalMaxPool3D, GlobalMaxPooling3D
from kgraph.layers.pooling.max_pooling1d import MaxPool1D, MaxPooling1D
from kgraph.layers.pooling.max_pooling2d import MaxPool2D, MaxPooling2D
from kgraph.layers.pooling.max_pooling3d import MaxPool3D, MaxPooling3D
from kgraph.layers.preprocessing import *  # noqa: F403  (listed in preprocessing.__all__)
from kgraph.layers.preprocessing import __all__ as _preprocessing_names
from kgraph.layers.regularization.dropout import Dropout
from kgraph.layers.reshaping.flatten import Flatten
from kgraph.layers.reshaping.permute import Permute
from kgraph.layers.reshaping.reshape import Reshape

__all__ = ["Dense", "Input", "InputLayer", "InputSpec", "Layer"]
__all__ += [
    "ELU",
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BaseConv",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Dropout",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "Identity",
    "LeakyReLU",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
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

# Model-zoo layers (issue 10): convolution variants, shape, normalization, activation layers.
from kgraph.layers.convolutional.base_conv_transpose import BaseConvTranspose  # noqa: E402
from kgraph.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv  # noqa: E402
from kgraph.layers.convolutional.base_separable_conv import BaseSeparableConv  # noqa: E402
from kgraph.layers.convolutional.conv1d_transpose import (  # noqa: E402
    Conv1DTranspose,
    Convolution1DTranspose,
)
from kgraph.layers.convolutional.conv2d_transpose import (  # noqa: E402
    Conv2DTranspose,
    Convolution2DTranspose,
)
from kgraph.layers.convolutional.conv3d_transpose import (  # noqa: E402
    Conv3DTranspose,
    Convolution3DTranspose,
)
from kgraph.layers.convolutional.depthwise_conv1d import DepthwiseConv1D  # noqa: E402
from kgraph.layers.convolutional.depthwise_conv2d import DepthwiseConv2D  # noqa: E402
from kgraph.layers.convolutional.separable_conv1d import (  # noqa: E402
    SeparableConv1D,
    SeparableConvolution1D,
)
from kgraph.layers.convolutional.separable_conv2d import (  # noqa: E402
    SeparableConv2D,
    SeparableConvolution2D,
)

__all__ += [
    "BaseConvTranspose",
    "BaseDepthwiseConv",
    "BaseSeparableConv",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]
__all__ += _preprocessing_names
