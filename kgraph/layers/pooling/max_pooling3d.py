"""``MaxPooling3D``: max pooling over 3 spatial axes."""

from __future__ import annotations

from kgraph.layers.pooling.base_pooling import BasePooling


class MaxPooling3D(BasePooling):
    """Max pooling on ``(batch, depth, rows, cols, channels)`` inputs.

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
            pool_mode="max",
            padding=padding,
            data_format=data_format,
            name=name,
            **kwargs,
        )


MaxPool3D = MaxPooling3D
