"""``BasePooling``: one rank-generic max/average pooling layer behind the 1D/2D/3D classes."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.ops import shapes
from kgraph.utils import argument_validation as av


class BasePooling(Layer):
    """Max or average pooling over ``pool_dimensions`` spatial axes.

    With 'same' padding the window may hang over the border: max pooling ignores the padded
    cells and average pooling does not count them (as in Keras/TensorFlow).

    Args:
        pool_size: An int or ``pool_dimensions`` ints.
        strides: An int, ints, or None (= ``pool_size``).
        pool_dimensions: Number of spatial axes (1, 2 or 3).
        pool_mode: ``'max'`` or ``'average'``.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(
        self,
        pool_size,
        strides,
        pool_dimensions,
        pool_mode="max",
        padding="valid",
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if pool_mode not in ("max", "average"):
            raise ValueError(
                f"`pool_mode` must be either 'max' or 'average'. Received: pool_mode={pool_mode}"
            )
        self.pool_dimensions = pool_dimensions
        self.pool_size = av.standardize_tuple(pool_size, pool_dimensions, "pool_size")
        self.strides = av.standardize_tuple(
            pool_size if strides is None else strides, pool_dimensions, "strides"
        )
        self.pool_mode = pool_mode
        self.padding = av.standardize_padding(padding)
        self.data_format = av.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def call(self, inputs):
        rank = self.pool_dimensions + 2
        first = self.data_format == "channels_first"
        if first:
            inputs = ops.transpose(inputs, av.to_channels_last_perm(rank))
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        x = pool(inputs, self.pool_size, strides=self.strides, padding=self.padding)
        return ops.transpose(x, av.to_channels_first_perm(rank)) if first else x

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        first = self.data_format == "channels_first"
        spatial = input_shape[2:] if first else input_shape[1:-1]
        out = tuple(
            shapes.conv_output_length(n, k, s, self.padding)
            for n, k, s in zip(spatial, self.pool_size, self.strides)
        )
        if any(d is not None and d <= 0 for d in out):
            raise ValueError(
                f"Computed output size would be non-positive: pool_size="
                f"{self.pool_size} and padding='{self.padding}' do not fit input "
                f"shape {input_shape}."
            )
        if first:
            return (input_shape[0], input_shape[1], *out)
        return (input_shape[0], *out, input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }
