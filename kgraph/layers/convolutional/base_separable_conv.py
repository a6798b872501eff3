"""``BaseSeparableConv``: one rank-generic separable convolution behind SeparableConv1D/2D."""

from __future__ import annotations

from kgraph import activations, constraints, initializers, ops, regularizers
from kgraph.layers.convolutional import conv_utils as cu
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av

_WEIGHTS = ("depthwise", "pointwise", "bias")


class BaseSeparableConv(Layer):
    """A depthwise convolution (``depth_multiplier`` filters per input channel) followed by a
    pointwise (1x…x1) convolution to ``filters`` channels, then bias and activation.

    Weights as Keras: ``depthwise_kernel`` ``(*kernel_size, in_channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, …, 1, in_channels * depth_multiplier, filters)``, ``bias``
    ``(filters,)``.

    Args:
        rank: Number of spatial axes (1 or 2).
        filters: Output channels.
        depth_multiplier: Depthwise filters per input channel.
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias:
            As ``BaseConv`` (padding 'valid' or 'same').
        depthwise_*, pointwise_*, bias_*: initializer, regularizer and constraint of each
            weight; activity_regularizer: penalty on the output.
    """

    def __init__(
        self,
        rank,
        depth_multiplier,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.depth_multiplier = cu.positive_int(depth_multiplier, "depth_multiplier")
        self.filters = cu.positive_int(filters, "filters", defer=True)
        self.kernel_size = av.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = av.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = av.standardize_tuple(dilation_rate, rank, "dilation_rate")
        cu.check_strides_dilation(self.strides, self.dilation_rate)
        self.padding = av.standardize_padding(padding)
        self.data_format = av.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        given = locals()
        for name in _WEIGHTS:
            setattr(self, f"{name}_initializer", initializers.get(given[f"{name}_initializer"]))
            setattr(self, f"{name}_regularizer", regularizers.get(given[f"{name}_regularizer"]))
            setattr(self, f"{name}_constraint", constraints.get(given[f"{name}_constraint"]))
        self.input_spec = InputSpec(ndim=rank + 2)

    def _weight(self, name: str, shape: tuple, role: str):
        return self.add_weight(
            shape=shape,
            initializer=getattr(self, f"{role}_initializer"),
            name=name,
            regularizer=getattr(self, f"{role}_regularizer"),
            constraint=getattr(self, f"{role}_constraint"),
        )

    def build(self, input_shape):
        cu.built_count(self.filters, "filters")
        _, _, channels = cu.split_shape(input_shape, self.rank, self.data_format)
        if channels is None:
            raise ValueError("the channel axis of the input must be known.")
        axis = cu.channel_axis(self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.compute_output_shape(input_shape)  # rejects windows that do not fit
        depth = channels * self.depth_multiplier
        self.depthwise_kernel = self._weight(
            "depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier), "depthwise"
        )
        self.pointwise_kernel = self._weight(
            "pointwise_kernel", (1,) * self.rank + (depth, self.filters), "pointwise"
        )
        self.bias = self._weight("bias", (self.filters,), "bias") if self.use_bias else None
        self.built = True

    def call(self, inputs):
        x = ops.separable_conv(
            cu.to_channels_last(inputs, self.data_format),
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
        )
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return cu.from_channels_last(self.activation(x), self.data_format)

    def compute_output_shape(self, input_shape):
        batch, spatial, _ = cu.split_shape(input_shape, self.rank, self.data_format)
        out = cu.window_output(
            spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate, input_shape
        )
        return cu.join_shape(batch, out, self.filters, self.data_format)

    def get_config(self):
        config = {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }
        for name in _WEIGHTS:
            config[f"{name}_initializer"] = initializers.serialize(
                getattr(self, f"{name}_initializer")
            )
            config[f"{name}_regularizer"] = regularizers.serialize(
                getattr(self, f"{name}_regularizer")
            )
            config[f"{name}_constraint"] = constraints.serialize(
                getattr(self, f"{name}_constraint")
            )
        return config
