"""``BaseUpSampling``: upsampling of the spatial axes behind UpSampling1D/2D/3D.

'nearest' repeats each cell; 'bilinear' multiplies each spatial axis by a constant
interpolation matrix (half-pixel centres, edges clamped, as Keras' image resize), so both
train through existing gradient rules (ONNX ``Resize`` has none here)."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.reshaping.base_spatial import spatial_axes
from kgraph.utils import argument_validation as av

INTERPOLATIONS = ("nearest", "bilinear")


def bilinear_matrix(size: int, factor: int) -> np.ndarray:
    """``(size * factor, size)`` weights of linear interpolation with half-pixel centres."""
    out = np.arange(size * factor)
    source = np.clip((out + 0.5) / factor - 0.5, 0.0, size - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, size - 1)
    frac = source - low
    matrix = np.zeros((size * factor, size), np.float64)
    np.add.at(matrix, (out, low), 1.0 - frac)
    np.add.at(matrix, (out, high), frac)
    return matrix


class BaseUpSampling(Layer):
    """Repeats (or interpolates) each spatial axis ``size[i]`` times.

    Args:
        rank: Number of spatial axes.
        size: ``rank`` positive ints.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` or (rank 2) ``'bilinear'``; Keras' bicubic and lanczos
            kernels are not implemented.
    """

    def __init__(self, rank, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.size = av.standardize_tuple(size, rank, "size")
        self.data_format = av.standardize_data_format(data_format)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"kgraph's UpSampling supports interpolation in {INTERPOLATIONS}. "
                f"Received: interpolation={interpolation}"
            )
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        x = inputs
        for axis, factor in zip(spatial_axes(self.rank, self.data_format), self.size):
            if self.interpolation == "nearest":
                x = ops.repeat(x, factor, axis=axis)
            else:
                x = _interpolate(x, axis, factor)
        return x

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(spatial_axes(self.rank, self.data_format), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


def _interpolate(x, axis: int, factor: int):
    """Linear interpolation along ``axis``: the axis moved to the end, times ``Aᵀ``."""
    rank = len(x.shape)
    size = x.shape[axis]
    if size is None:
        raise ValueError("bilinear upsampling needs static spatial dims.")
    perm = [i for i in range(rank) if i != axis] + [axis]
    moved = ops.transpose(x, perm)
    matrix = bilinear_matrix(size, factor).T.astype(x.dtype)
    out = ops.matmul(moved, matrix)
    return ops.transpose(out, np.argsort(perm).tolist())
