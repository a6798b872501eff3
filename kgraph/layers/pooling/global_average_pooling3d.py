"""``GlobalAveragePooling3D``: average over the 3 spatial axes."""

from __future__ import annotations

from kgraph.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Global average pooling of ``(batch, depth, rows, cols, channels)`` inputs.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: Keep the reduced axes with length 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(
            pool_dimensions=3,
            pool_mode="average",
            data_format=data_format,
            keepdims=keepdims,
            **kwargs,
        )


GlobalAvgPool3D = GlobalAveragePooling3D
