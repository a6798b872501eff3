"""``ZeroPadding1D/2D/3D``: thin ``BaseZeroPadding`` subclasses with Keras' argument forms."""

from __future__ import annotations

from kgraph.layers.reshaping.base_spatial import standardize_pairs
from kgraph.layers.reshaping.base_zero_padding import BaseZeroPadding
from kgraph.utils import argument_validation as av


class ZeroPadding1D(BaseZeroPadding):
    """Zero padding of the steps axis: ``padding`` an int or ``(left, right)``."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        pair = av.standardize_tuple(padding, 2, "padding", allow_zero=True)
        super().__init__(1, (pair,), data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding[0]}


class ZeroPadding2D(BaseZeroPadding):
    """Zero padding of rows and columns: an int, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(2, standardize_pairs(padding, 2, "padding"), data_format, **kwargs)


class ZeroPadding3D(BaseZeroPadding):
    """Zero padding of three spatial axes: an int, 3 ints or 3 ``(before, after)`` pairs."""

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, standardize_pairs(padding, 3, "padding"), data_format, **kwargs)
