"""``Conv1D``: convolution over 1 spatial axis (a thin ``BaseConv``)."""

from __future__ import annotations

from kgraph.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1D convolution on ``(batch, steps, channels)`` inputs.

    Args: as ``BaseConv``, without ``rank``.
    """

    def __init__(
        self,
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
        **kwargs,
    ):
        super().__init__(
            rank=1,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            groups=groups,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            **kwargs,
        )


Convolution1D = Conv1D
