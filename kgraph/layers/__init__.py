"""``kgraph.layers``: Keras-compatible layers written in ``kgraph.ops``."""

from kgraph.layers.activations.elu import ELU
from kgraph.layers.activations.leaky_relu import LeakyReLU
from kgraph.layers.activations.relu import ReLU
from kgraph.layers.activations.softmax import Softmax
from kgraph.layers.attention.additive_attention import AdditiveAttention
from kgraph.layers.attention.attention import Attention
from kgraph.layers.attention.grouped_query_attention import (
    GroupedQueryAttention,
    GroupQueryAttention,
)
from kgraph.layers.attention.multi_head_attention import MultiHeadAttention
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
from kgraph.layers.rnn.bidirectional import Bidirectional
from kgraph.layers.rnn.gru import GRU
from kgraph.layers.rnn.gru_cell import GRUCell
from kgraph.layers.rnn.lstm import LSTM
from kgraph.layers.rnn.lstm_cell import LSTMCell
from kgraph.layers.rnn.rnn import RNN
from kgraph.layers.rnn.simple_rnn import SimpleRNN
from kgraph.layers.rnn.simple_rnn_cell import SimpleRNNCell
from kgraph.layers.rnn.stacked_rnn_cells import StackedRNNCells
from kgraph.layers.serialization import deserialize, serialize

__all__ = ["Dense", "Input", "InputLayer", "InputSpec", "Layer"]
__all__ += [
    "ELU",
    "GRU",
    "LSTM",
    "RNN",
    "Activation",
    "Add",
    "AdditiveAttention",
    "Attention",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BaseConv",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Dropout",
    "Flatten",
    "GRUCell",
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
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "Identity",
    "LSTMCell",
    "LeakyReLU",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Permute",
    "ReLU",
    "Reshape",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "StackedRNNCells",
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
from kgraph.layers.activations.prelu import PReLU  # noqa: E402
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
from kgraph.layers.core.einsum_dense import EinsumDense  # noqa: E402
from kgraph.layers.core.embedding import Embedding  # noqa: E402
from kgraph.layers.core.lambda_layer import Lambda  # noqa: E402
from kgraph.layers.core.masking import Masking  # noqa: E402
from kgraph.layers.core.time_distributed import TimeDistributed  # noqa: E402
from kgraph.layers.merging.dot import Dot, dot  # noqa: E402
from kgraph.layers.normalization.group_normalization import GroupNormalization  # noqa: E402
from kgraph.layers.normalization.layer_normalization import LayerNormalization  # noqa: E402
from kgraph.layers.normalization.rms_normalization import RMSNormalization  # noqa: E402
from kgraph.layers.normalization.spectral_normalization import (  # noqa: E402
    SpectralNormalization,
)
from kgraph.layers.normalization.unit_normalization import UnitNormalization  # noqa: E402
from kgraph.layers.pooling.adaptive_pooling import (  # noqa: E402
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from kgraph.layers.regularization.activity_regularization import (  # noqa: E402
    ActivityRegularization,
)
from kgraph.layers.regularization.alpha_dropout import AlphaDropout  # noqa: E402
from kgraph.layers.regularization.gaussian_noise import GaussianDropout, GaussianNoise  # noqa: E402
from kgraph.layers.regularization.spatial_dropout import (  # noqa: E402
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from kgraph.layers.reshaping.cropping import Cropping1D, Cropping2D, Cropping3D  # noqa: E402
from kgraph.layers.reshaping.repeat_vector import RepeatVector  # noqa: E402
from kgraph.layers.reshaping.upsampling import UpSampling1D, UpSampling2D, UpSampling3D  # noqa: E402
from kgraph.layers.reshaping.zero_padding import (  # noqa: E402
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

__all__ += [
    "ActivityRegularization",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "AlphaDropout",
    "BaseConvTranspose",
    "BaseDepthwiseConv",
    "BaseSeparableConv",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Dot",
    "EinsumDense",
    "Embedding",
    "GaussianDropout",
    "GaussianNoise",
    "GroupNormalization",
    "Lambda",
    "LayerNormalization",
    "Masking",
    "PReLU",
    "RMSNormalization",
    "RepeatVector",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "SpectralNormalization",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "dot",
]
__all__ += _preprocessing_names
__all__ += ["deserialize", "serialize"]

# Keras 3.15 layers added late: convolutional LSTMs, reversible embedding, hashed crossing,
# the Wrapper base, the spectrogram layers and MaxNumBoundingBoxes.
from kgraph.layers.core.reversible_embedding import ReversibleEmbedding  # noqa: E402
from kgraph.layers.preprocessing.hashed_crossing import HashedCrossing  # noqa: E402
from kgraph.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes  # noqa: E402
from kgraph.layers.preprocessing.mel_spectrogram import MelSpectrogram  # noqa: E402
from kgraph.layers.preprocessing.stft_spectrogram import STFTSpectrogram  # noqa: E402
from kgraph.layers.rnn.conv_lstm_nd import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: E402
from kgraph.layers.wrapper import Wrapper  # noqa: E402

__all__ += [
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "HashedCrossing",
    "MaxNumBoundingBoxes",
    "MelSpectrogram",
    "ReversibleEmbedding",
    "STFTSpectrogram",
    "Wrapper",
]
