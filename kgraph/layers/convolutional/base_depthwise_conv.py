"""``BaseDepthwiseConv``: one rank-generic depthwise convolution behind DepthwiseConv1D/2D."""

from __future__ import annotations

from kgraph import activations, constraints, initializers, ops, regularizers
from kgraph.layers.convolutional import conv_utils as cu
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av


class BaseDepthwiseConv(Layer):
    """Depthwise convolution: each input channel gets its own ``depth_multiplier`` filters
    (a grouped convolution with one group per channel), then bias and activation.

    Weights as Keras: ``kernel`` ``(*kernel_size, in_channels, depth_multiplier)``
    and ``bias`` ``(in_channels * depth_multiplier,)``.

    Args:
        rank: Number of spatial axes (1 or 2).
        depth_multiplier: Output channels per input channel.
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias:
            As ``BaseConv`` (padding 'valid' or 'same').
        depthwise_initializer, bias_initializer: Initializers of the weights.
        depthwise_regularizer, bias_regularizer, activity_regularizer: Penalties.
        depthwise_constraint, bias_constraint: Projections after each update.
    """

    def __init__(
        self,
        rank,
        depth_multiplier,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = cu.positive_int(depth_multiplier, "depth_multiplier")
        self.kernel_size = av.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = av.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = av.standardize_tuple(dilation_rate, rank, "dilation_rate")
        cu.check_strides_dilation(self.strides, self.dilation_rate)
        self.padding = av.standardize_padding(padding)
        self.data_format = av.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape):
        _, _, channels = cu.split_shape(input_shape, self.rank, self.data_format)
        if channels is None:
            raise ValueError("the channel axis of the input must be known.")
        axis = cu.channel_axis(self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.compute_output_shape(input_shape)  # rejects windows that do not fit
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            name="kernel",
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,),
                initializer=self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs):
        x = ops.depthwise_conv(
            cu.to_channels_last(inputs, self.data_format),
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
        )
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return cu.from_channels_last(self.activation(x), self.data_format)

    def compute_output_shape(self, input_shape):
        batch, spatial, channels = cu.split_shape(input_shape, self.rank, self.data_format)
        out = cu.window_output(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate, input_shape
        )
        filters = None if channels is None else channels * self.depth_multiplier
        return cu.join_shape(batch, out, filters, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
