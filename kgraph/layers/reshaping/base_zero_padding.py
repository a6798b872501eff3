"""``BaseZeroPadding``: zero padding of the spatial axes behind ZeroPadding1D/2D/3D."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.reshaping.base_spatial import spatial_axes
from kgraph.utils import argument_validation as av


class BaseZeroPadding(Layer):
    """Adds ``padding[i] = (before, after)`` zeros around spatial axis ``i``.

    Args:
        rank: Number of spatial axes.
        padding: ``rank`` pairs of non-negative ints (the subclasses accept Keras' short forms).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, rank, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.padding = padding
        self.data_format = av.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _widths(self):
        widths = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(spatial_axes(self.rank, self.data_format), self.padding):
            widths[axis] = tuple(pair)
        return widths

    def call(self, inputs):
        return ops.pad(inputs, self._widths())

    def compute_output_shape(self, input_shape):
        return tuple(
            None if d is None else d + a + b for d, (a, b) in zip(input_shape, self._widths())
        )

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
