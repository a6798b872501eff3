"""``BaseCropping``: cropping of the spatial axes behind Cropping1D/2D/3D."""

from __future__ import annotations

from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.reshaping.base_spatial import spatial_axes
from kgraph.utils import argument_validation as av


class BaseCropping(Layer):
    """Removes ``cropping[i] = (before, after)`` cells from spatial axis ``i``.

    Args:
        rank: Number of spatial axes.
        cropping: ``rank`` pairs of non-negative ints (the subclasses accept Keras' forms).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, rank, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.cropping = cropping
        self.data_format = av.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _crops(self) -> dict:
        return dict(zip(spatial_axes(self.rank, self.data_format), self.cropping))

    def call(self, inputs):
        key = [slice(None)] * (self.rank + 2)
        for axis, (a, b) in self._crops().items():
            key[axis] = slice(a, -b if b else None)
        return inputs[tuple(key)]

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (a, b) in self._crops().items():
            if shape[axis] is not None:
                shape[axis] -= a + b
                if shape[axis] <= 0:
                    raise ValueError(
                        f"`cropping` parameter of `{type(self).__name__}` layer must be smaller "
                        f"than the input size. Received: input_shape={tuple(input_shape)}, "
                        f"cropping={self.cropping}"
                    )
        return tuple(shape)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # refuses crops larger than the input
        self.built = True

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
