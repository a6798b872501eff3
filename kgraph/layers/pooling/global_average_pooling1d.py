"""``GlobalAveragePooling1D``: average over the 1 spatial axis."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.pooling.base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Global average pooling of ``(batch, steps, channels)`` inputs.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: Keep the reduced axes with length 1.
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(
            pool_dimensions=1,
            pool_mode="average",
            data_format=data_format,
            keepdims=keepdims,
            **kwargs,
        )
        self.supports_masking = True

    def call(self, inputs, mask=None):
        """The mean over the unmasked steps when the inputs carry a Keras mask (as Keras:
        a sequence with every step masked gives NaN)."""
        if mask is None:
            return super().call(inputs)
        axis = self._axes()[0]
        keep = ops.expand_dims(ops.cast(mask, "bool"), 2 if axis == 1 else 1)
        total = ops.sum(ops.where(keep, inputs, 0.0), axis=axis, keepdims=self.keepdims)
        count = ops.sum(ops.cast(keep, inputs.dtype), axis=axis, keepdims=self.keepdims)
        return ops.divide(total, count)

    def compute_mask(self, inputs, mask=None):
        return None


GlobalAvgPool1D = GlobalAveragePooling1D
