"""``UpSampling1D/2D/3D``: thin ``BaseUpSampling`` subclasses with Keras' arguments."""

from __future__ import annotations

from kgraph.layers.reshaping.base_upsampling import BaseUpSampling


class UpSampling1D(BaseUpSampling):
    """Repeats each step of ``(batch, steps, features)`` ``size`` times."""

    def __init__(self, size=2, **kwargs):
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        super().__init__(1, size, **kwargs)

    def get_config(self):
        config = {**super().get_config(), "size": self.size[0]}
        config.pop("data_format")
        return config


class UpSampling2D(BaseUpSampling):
    """Upsamples rows and columns by ``size``, 'nearest' or 'bilinear'."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(2, size, data_format, interpolation, **kwargs)

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(BaseUpSampling):
    """Repeats each cell of the three spatial axes ``size`` times."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(3, size, data_format, **kwargs)
