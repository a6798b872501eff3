"""Helpers the convolution bases share: argument checks, channels_first around channels_last
ops, and the spatial output shape."""

from __future__ import annotations

from kgraph import ops
from kgraph.ops import shapes
from kgraph.utils import argument_validation as av


def positive_int(value, name: str, defer: bool = False) -> int:
    """``value`` as a positive int, or Keras' error naming ``name``: Keras compares it with 0,
    so a string is a TypeError; ``None`` (which Keras only refuses at build) a ValueError."""
    if defer and (value is None or isinstance(value, float)):
        return value  # Keras takes these until it shapes the kernel: see ``built_count``
    message = f"Invalid value for argument `{name}`. Expected a strictly positive integer."
    return av.positive_count(value, name, message, none_is_type_error=False)


def built_count(value, name: str) -> int:
    """The ValueError Keras raises in ``build`` for a ``None`` or float count ``positive_int``
    let through (it cannot shape a kernel with it)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}`: a kernel needs a positive integer. "
            f"Received: {name}={value}"
        )
    return value


def check_strides_dilation(strides: tuple, dilation_rate: tuple) -> None:
    """Keras refuses strides > 1 together with dilation > 1."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > "
            f"1`. Received: strides={strides} and dilation_rate={dilation_rate}"
        )


def channel_axis(data_format: str) -> int:
    return -1 if data_format == "channels_last" else 1


def to_channels_last(inputs, data_format: str):
    """``inputs`` in channels_last layout (the layout ``kgraph.ops`` convolutions take)."""
    if data_format == "channels_first":
        return ops.transpose(inputs, av.to_channels_last_perm(len(inputs.shape)))
    return inputs


def from_channels_last(outputs, data_format: str):
    """Back to the layer's ``data_format``."""
    if data_format == "channels_first":
        return ops.transpose(outputs, av.to_channels_first_perm(len(outputs.shape)))
    return outputs


def split_shape(input_shape, rank: int, data_format: str):
    """``(batch, spatial, channels)`` of a full input shape."""
    input_shape = tuple(input_shape)
    if len(input_shape) != rank + 2:
        raise ValueError(f"expected an input of rank {rank + 2}, received shape {input_shape}.")
    if data_format == "channels_first":
        return input_shape[0], input_shape[2:], input_shape[1]
    return input_shape[0], input_shape[1:-1], input_shape[-1]


def join_shape(batch, spatial, channels, data_format: str) -> tuple:
    """The inverse of :func:`split_shape`."""
    if data_format == "channels_first":
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def window_output(spatial, kernel_size, strides, padding, dilation_rate, input_shape) -> tuple:
    """Spatial output of a strided window, refusing a window that does not fit."""
    out = tuple(
        shapes.conv_output_length(n, k, s, padding, d)
        for n, k, s, d in zip(spatial, kernel_size, strides, dilation_rate)
    )
    if any(d is not None and d <= 0 for d in out):
        raise ValueError(
            f"Computed output size would be non-positive: kernel_size={kernel_size}, "
            f"dilation_rate={dilation_rate} and padding='{padding}' do not fit input "
            f"shape {tuple(input_shape)}."
        )
    return out
