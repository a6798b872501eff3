"""``Cropping1D/2D/3D``: thin ``BaseCropping`` subclasses with Keras' argument forms."""

from __future__ import annotations

from kgraph.layers.reshaping.base_cropping import BaseCropping
from kgraph.layers.reshaping.base_spatial import standardize_pairs
from kgraph.utils import argument_validation as av


class Cropping1D(BaseCropping):
    """Crops the steps axis of ``(batch, steps, features)``: an int or ``(start, end)``."""

    def __init__(self, cropping=(1, 1), **kwargs):
        pair = av.standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        super().__init__(1, (pair,), None, **kwargs)

    def get_config(self):
        config = {**super().get_config(), "cropping": self.cropping[0]}
        config.pop("data_format")
        return config


class Cropping2D(BaseCropping):
    """Crops rows and columns: an int, ``(rows, cols)`` or ``((top, bottom), (left, right))``."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(2, standardize_pairs(cropping, 2, "cropping"), data_format, **kwargs)


class Cropping3D(BaseCropping):
    """Crops three spatial axes: an int, 3 ints or 3 ``(before, after)`` pairs."""

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, standardize_pairs(cropping, 3, "cropping"), data_format, **kwargs)
