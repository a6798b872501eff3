"""``BaseAdaptivePooling``: average or max pooling to a fixed spatial output size.

Output cell ``i`` of an axis of length ``n`` pooled to ``m`` covers input cells
``floor(i * n / m)`` to ``ceil((i + 1) * n / m)`` (exclusive), as Keras and PyTorch. The
windows are boxes, so pooling runs one axis at a time: an averaging matrix per axis (a MatMul),
or the max of each window's slice per axis. Spatial dims must be static.
"""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.utils import argument_validation as av


def adaptive_windows(length: int, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each of the ``size`` windows over ``length`` cells."""
    return [(i * length // size, -(-(i + 1) * length // size)) for i in range(size)]


def _average_along(x, axis: int, size: int):
    rank = len(x.shape)
    length = x.shape[axis]
    matrix = np.zeros((length, size), np.float64)
    for i, (start, end) in enumerate(adaptive_windows(length, size)):
        matrix[start:end, i] = 1.0 / (end - start)
    perm = [i for i in range(rank) if i != axis] + [axis]
    pooled = ops.matmul(ops.transpose(x, perm), matrix.astype(x.dtype))
    return ops.transpose(pooled, np.argsort(perm).tolist())


def _max_along(x, axis: int, size: int):
    parts = []
    for start, end in adaptive_windows(x.shape[axis], size):
        key = [slice(None)] * len(x.shape)
        key[axis] = slice(start, end)
        parts.append(ops.max(x[tuple(key)], axis=axis, keepdims=True))
    return parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=axis)


class BaseAdaptivePooling(Layer):
    """Pools each spatial axis to ``output_size``.

    Args:
        rank: Number of spatial axes.
        output_size: An int or ``rank`` ints.
        pool_mode: ``'average'`` or ``'max'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, rank, output_size, pool_mode="average", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * rank
        if rank == 1 and isinstance(output_size, (tuple, list)) and len(output_size) != 1:
            raise ValueError(  # Keras' 1D layers check the length apart (2D/3D: TypeError)
                f"For 1D input, `output_size` tuple must have length 1. Received: {output_size}"
            )
        if not isinstance(output_size, (tuple, list)) or len(output_size) != rank:
            raise TypeError(
                f"`output_size` must be an integer or a tuple of {rank} integers. "
                f"Received: {output_size} of type {type(output_size)}"
            )
        self.rank = rank
        self.output_size = av.standardize_tuple(output_size, rank, "output_size")
        self.pool_mode = pool_mode
        self.data_format = av.standardize_data_format(data_format, case_sensitive=True)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _axes(self) -> list[int]:
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self.rank))

    def call(self, inputs):
        x = inputs
        pool = _max_along if self.pool_mode == "max" else _average_along
        for axis, size in zip(self._axes(), self.output_size):
            if x.shape[axis] is None:
                raise ValueError("adaptive pooling needs static spatial dims.")
            x = pool(x, axis, size)
        return x

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, size in zip(self._axes(), self.output_size):
            shape[axis] = size
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }
