"""``BaseUpSampling``: upsampling of the spatial axes behind UpSampling1D/2D/3D.

'nearest' repeats each cell (``ops.repeat``); the other interpolations of UpSampling2D resize
with ``ops.image.resize`` to ``size`` times the input, as Keras does. A fully convolutional model
(``Input((None, None, 3))``, keras.io's U-Nets and super-resolution nets) upsamples images whose
size is known at run time alone: 'bilinear' is then composed of slices and weighted sums, which
is the same half-pixel resize for integer factors."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.layers.reshaping.base_spatial import spatial_axes
from kgraph.ops.shapes import static_shape
from kgraph.utils import argument_validation as av

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


class BaseUpSampling(Layer):
    """Repeats (or interpolates) each spatial axis ``size[i]`` times.

    Args:
        rank: Number of spatial axes.
        size: ``rank`` positive ints.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'``, or (rank 2) ``'bilinear'``, ``'bicubic'``,
            ``'lanczos3'`` or ``'lanczos5'``.
    """

    def __init__(self, rank, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.size = av.standardize_tuple(size, rank, "size")
        self.data_format = av.standardize_data_format(data_format)
        self.interpolation = str(interpolation).lower()
        allowed = INTERPOLATIONS if rank == 2 else INTERPOLATIONS[:1]
        if self.interpolation not in allowed:
            raise ValueError(
                f"`interpolation` must be one of {allowed}. Received: interpolation={interpolation}"
            )
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        axes = spatial_axes(self.rank, self.data_format)
        shape = static_shape(inputs)
        if self.interpolation == "bilinear" and any(shape[a] is None for a in axes):
            x = inputs
            for axis, factor in zip(axes, self.size):
                x = linear_upsample(x, axis, factor)
            return x
        if self.interpolation != "nearest":
            if any(shape[a] is None for a in axes):
                raise ValueError(
                    f"UpSampling2D with interpolation='{self.interpolation}' needs static "
                    f"spatial sizes ('nearest' and 'bilinear' do not). Received: "
                    f"inputs.shape={shape}"
                )
            size = [shape[a] * f for a, f in zip(axes, self.size)]
            return ops.image.resize(
                inputs, size, interpolation=self.interpolation, data_format=self.data_format
            )
        x = inputs
        for axis, factor in zip(axes, self.size):
            x = ops.repeat(x, factor, axis=axis)
        return x

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(spatial_axes(self.rank, self.data_format), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


def linear_upsample(x, axis: int, factor: int):
    """Half-pixel linear upsampling of one axis by an integer ``factor``, edges clamped (what
    ``ops.image.resize`` computes): output ``factor * i + k`` reads input point
    ``i + (2k + 1 - factor) / (2 factor)``, a blend of row ``i`` with its neighbour."""
    if factor == 1:
        return x
    ndim = len(static_shape(x))

    def part(start=None, stop=None):
        index = [slice(None)] * ndim
        index[axis] = slice(start, stop)
        return x[tuple(index)]

    previous = ops.concatenate([part(0, 1), part(None, -1)], axis=axis)
    following = ops.concatenate([part(1, None), part(-1, None)], axis=axis)
    rows = []
    for k in range(factor):
        offset = (2 * k + 1 - factor) / (2 * factor)
        neighbour = previous if offset < 0 else following
        rows.append(x if offset == 0 else x * (1 - abs(offset)) + neighbour * abs(offset))
    sizes = list(ops.shape(x))
    sizes[axis] = sizes[axis] * factor
    return ops.reshape(ops.stack(rows, axis=axis + 1), sizes)
