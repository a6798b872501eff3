"""``BaseConvTranspose``: one rank-generic transposed convolution behind Conv1D/2D/3DTranspose."""

from __future__ import annotations

from kgraph import activations, ops, regularizers
from kgraph.layers.convolutional import conv_utils as cu
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.kernel_bias import KernelBiasMixin
from kgraph.layers.layer import Layer
from kgraph.ops import conv_ops
from kgraph.utils import argument_validation as av


class BaseConvTranspose(KernelBiasMixin, Layer):
    """Transposed convolution (the input gradient of a convolution, "deconvolution"), then bias
    and activation. Output sizes follow Keras: 'valid' ``(n - 1) * s + max(k, s)``, 'same'
    ``n * s``, or with ``output_padding`` ``p`` 'valid' ``(n - 1) * s + k + p`` and 'same'
    ``(n - 1) * s + k % 2 + p``.

    Weights as Keras: ``kernel`` ``(*kernel_size, filters, in_channels)``, ``bias``
    ``(filters,)``.

    Args:
        rank: Number of spatial axes (1, 2 or 3).
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias, kernel_*/bias_*, activity_regularizer: as ``BaseConv``.
        output_padding: None, an int or ``rank`` ints, each below the stride: extra cells at
            the end of each spatial axis.
    """

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = cu.positive_int(filters, "filters", defer=True)
        self.kernel_size = av.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = av.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = av.standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = av.standardize_padding(padding)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = av.standardize_tuple(
                output_padding, rank, "output_padding", allow_zero=True
            )
            for i, (p, s) in enumerate(zip(self.output_padding, self.strides)):
                if p >= s:
                    raise ValueError(
                        "`output_padding` must be strictly less than `strides` for all "
                        f"dimensions. At dimension {i}, `output_padding` is {p} but "
                        f"`strides` is {s}. Received: output_padding={self.output_padding}, "
                        f"strides={self.strides}"
                    )
        cu.check_strides_dilation(self.strides, self.dilation_rate)
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

    def build(self, input_shape):
        cu.built_count(self.filters, "filters")
        _, _, channels = cu.split_shape(input_shape, self.rank, self.data_format)
        if channels is None:
            raise ValueError("the channel axis of the input must be known.")
        axis = cu.channel_axis(self.data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self._add_kernel_bias((*self.kernel_size, self.filters, channels), (self.filters,))
        self.built = True

    def call(self, inputs):
        x = ops.conv_transpose(
            cu.to_channels_last(inputs, self.data_format),
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation_rate=self.dilation_rate,
        )
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return cu.from_channels_last(self.activation(x), self.data_format)

    def compute_output_shape(self, input_shape):
        batch, spatial, _ = cu.split_shape(input_shape, self.rank, self.data_format)
        extra = self.output_padding or (None,) * self.rank
        out = tuple(
            conv_ops.transpose_output_length(n, k, s, d, self.padding, p)
            for n, k, s, d, p in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, extra
            )
        )
        return cu.join_shape(batch, out, self.filters, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._kernel_bias_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
        }
