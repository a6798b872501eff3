"""``BaseGlobalPooling``: mean or max over all spatial axes (rank-generic)."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av


class BaseGlobalPooling(Layer):
    """Reduces every spatial axis with ``ops.mean`` or ``ops.max``.

    Args:
        pool_dimensions: Number of spatial axes (1, 2 or 3).
        pool_mode: ``'max'`` or ``'average'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: Keep the reduced axes with length 1.
    """

    def __init__(
        self, pool_dimensions, pool_mode="average", data_format=None, keepdims=False, **kwargs
    ):
        super().__init__(**kwargs)
        if pool_mode not in ("max", "average"):
            raise ValueError(
                f"`pool_mode` must be either 'max' or 'average'. Received: pool_mode={pool_mode}"
            )
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.data_format = av.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)

    def _axes(self) -> tuple[int, ...]:
        start = 2 if self.data_format == "channels_first" else 1
        return tuple(range(start, start + self.pool_dimensions))

    def call(self, inputs):
        # One ReduceMax node, which skips NaNs as MaxPool does (ops.max adds a NaN check).
        reduce = ops.numpy.reduce_max if self.pool_mode == "max" else ops.mean
        return reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
