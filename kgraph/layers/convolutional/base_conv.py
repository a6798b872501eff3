"""``BaseConv``: one rank-generic N-D convolution layer behind Conv1D, Conv2D and Conv3D."""

from __future__ import annotations

from kgraph import activations, ops, regularizers
from kgraph.layers.convolutional import conv_utils as cu
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.kernel_bias import KernelBiasMixin
from kgraph.layers.layer import Layer
from kgraph.ops import shapes
from kgraph.utils import argument_validation as av


class BaseConv(KernelBiasMixin, Layer):
    """N-D convolution: ``activation(conv(inputs, kernel) + bias)``.

    The kernel has Keras' layout ``(*kernel_size, in_channels // groups, filters)``, so weights
    are interchangeable with Keras. 'same' padding follows TensorFlow: when the total padding is
    odd, the extra row/column goes at the end.

    Args:
        rank: Number of spatial axes (1, 2 or 3).
        filters: Positive number of output channels, divisible by ``groups``.
        kernel_size: An int or ``rank`` ints.
        strides: An int or ``rank`` ints; strides > 1 exclude dilation > 1.
        padding: ``'valid'``, ``'same'`` or (1D only) ``'causal'``: left padding by the
            dilated window minus one, so output ``t`` sees inputs up to ``t`` only.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: An int or ``rank`` ints.
        groups: Number of channel groups; input channels must be divisible by it.
        activation: Activation name or callable (default: linear).
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer, bias_regularizer: Penalties on the weights added to the training
            loss (see ``kgraph.regularizers``).
        activity_regularizer: Penalty on the output, divided by the batch size.
        kernel_constraint, bias_constraint: Projections applied to the weights after each
            optimizer update (see ``kgraph.constraints``).
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        av.reject_unsupported(type(self).__name__, lora_rank=lora_rank)
        self.rank = rank
        filters = cu.positive_int(filters, "filters", defer=True)
        if not isinstance(groups, int) or isinstance(groups, bool) or groups <= 0:
            raise ValueError(
                f"The number of groups must be a positive integer. Received: groups={groups}."
            )
        if filters is not None and filters % groups:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of "
                f"groups. Received: groups={groups}, filters={filters}."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = av.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = av.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = av.standardize_tuple(dilation_rate, rank, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` not supported in conjunction with `dilation_rate > "
                f"1`. Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}"
            )
        self.padding = av.standardize_padding(padding, allow_causal=rank == 1)
        self.data_format = av.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._set_kernel_bias_options(
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
        )
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        cu.built_count(self.filters, "filters")
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError("the channel axis of the input must be known.")
        if channels % self.groups:
            raise ValueError(
                "The number of input channels must be evenly divisible by the "
                f"number of groups. Received groups={self.groups}, but the input "
                f"has {channels} channels (full input shape is {input_shape})."
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.compute_output_shape(input_shape)  # rejects windows that do not fit
        self._add_kernel_bias(
            (*self.kernel_size, channels // self.groups, self.filters), (self.filters,)
        )
        self.built = True

    def call(self, inputs):
        channels_first = self.data_format == "channels_first"
        if channels_first:
            inputs = ops.transpose(inputs, av.to_channels_last_perm(self.rank + 2))
        padding = self.padding
        if padding == "causal":
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            inputs, padding = ops.pad(inputs, [(0, 0), (left, 0), (0, 0)]), "valid"
        x = ops.conv(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=padding,
            dilation_rate=self.dilation_rate,
        )
        if self.bias is not None:
            x = ops.add(x, self.bias)
        x = self.activation(x)
        if channels_first:
            x = ops.transpose(x, av.to_channels_first_perm(self.rank + 2))
        return x

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"expected an input of rank {self.rank + 2}, received shape {input_shape}."
            )
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        padding = "same" if self.padding == "causal" else self.padding  # same length
        out = tuple(
            shapes.conv_output_length(n, k, s, padding, d)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Computed output size would be non-positive: kernel_size="
                f"{self.kernel_size}, dilation_rate={self.dilation_rate} and "
                f"padding='{self.padding}' do not fit input shape {input_shape}."
            )
        if first:
            return (input_shape[0], self.filters, *out)
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._kernel_bias_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }
