"""``Equalization``: histogram equalization of each channel."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer


class Equalization(BaseColorLayer):
    """Spreads each channel's values over the full range through the channel's cumulative
    histogram (``bins`` bins on a 0-255 scale), as Keras does: one histogram per channel over
    the whole batch, applied in training (Keras' default for a direct call) and skipped in
    inference graphs. A channel whose values fall in a single bin is left unchanged.

    Args:
        value_range: The images' ``(min, max)``.
        bins: Number of histogram bins.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(value_range=value_range, data_format=data_format, **kwargs)
        self.bins = int(bins)

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        first = self.data_format == "channels_first"
        x = ops.transpose(images, (1, 0, 2, 3) if first else (3, 0, 1, 2))  # C, N, H, W
        channels = x.shape[0]
        x = self.to_range(ops.reshape(x, (channels, -1)), 0.0, 255.0)  # (C, N*H*W)
        index = ops.cast(ops.clip(x * ((self.bins - 1) / 255.0), 0, self.bins - 1), "int64")
        offsets = np.arange(channels, dtype=np.int64).reshape(-1, 1) * self.bins
        flat = ops.reshape(index + offsets, (-1,))
        hist = ops.reshape(ops.bincount(flat, minlength=channels * self.bins), (channels, -1))
        cdf = ops.cast(ops.cumsum(hist, axis=1), "float32")
        cdf_min = ops.min(ops.where(ops.greater(cdf, 0.0), cdf, np.inf), axis=1, keepdims=True)
        span = ops.max(cdf, axis=1, keepdims=True) - cdf_min
        span = ops.where(ops.equal(span, 0.0), 1.0, span)
        table = ops.clip(ops.round((cdf - cdf_min) * 255.0 / span), 0, 255)
        equalized = ops.take(ops.reshape(table, (-1,)), index + offsets)
        used = ops.sum(ops.cast(ops.greater(hist, 0), "int32"), axis=1, keepdims=True)
        out = ops.where(ops.greater(used, 1), equalized, x)
        out = self.from_range(out, 0.0, 255.0)
        h, w = self.image_size(images)
        out = ops.reshape(out, (channels, -1, h, w))
        return ops.transpose(out, (1, 0, 2, 3) if first else (1, 2, 3, 0))

    def get_config(self):
        return {**super().get_config(), "bins": self.bins}
