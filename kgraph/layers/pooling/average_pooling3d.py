"""``AveragePooling3D``: average pooling over 3 spatial axes."""

from __future__ import annotations

from kgraph.layers.pooling.base_pooling import BasePooling


class AveragePooling3D(BasePooling):
    """Average pooling on ``(batch, depth, rows, cols, channels)`` inputs.

    Args:
        pool_size: Window size, an int or 3 ints.
        strides: Step of the window; None means ``pool_size``.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(
        self,
        pool_size=(2, 2, 2),
        strides=None,
        padding="valid",
        data_format=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            pool_size,
            strides,
            pool_dimensions=3,
            pool_mode="average",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


AvgPool3D = AveragePooling3D
