"""``GlobalMaxPooling1D``: max over the 1 spatial axis."""

from __future__ import annotations

from kgraph.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Global max pooling of ``(batch, steps, channels)`` inputs.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: Keep the reduced axes with length 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(
            pool_dimensions=1, pool_mode="max", data_format=data_format, keepdims=keepdims, **kwargs
        )


GlobalMaxPool1D = GlobalMaxPooling1D
