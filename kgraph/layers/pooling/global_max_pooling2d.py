"""``GlobalMaxPooling2D``: max over the 2 spatial axes."""

from __future__ import annotations

from kgraph.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Global max pooling of ``(batch, rows, cols, channels)`` inputs.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: Keep the reduced axes with length 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(
            pool_dimensions=2, pool_mode="max", data_format=data_format, keepdims=keepdims, **kwargs
        )


GlobalMaxPool2D = GlobalMaxPooling2D
