"""``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE): tile-wise equalization."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer


def _symmetric_pad(x, pad, axis):
    """``x`` extended by its last ``pad`` entries mirrored along ``axis`` (numpy's
    'symmetric' mode at the end only; ONNX Pad has no such mode)."""
    if pad == 0:
        return x
    key = [slice(None)] * 4
    key[axis] = slice(-1, -pad - 1, -1)
    return ops.concatenate([x, ops.get_item(x, tuple(key))], axis=axis)


def _tile_coordinates(size, tile, grid):
    """Lower/upper tile index (in the edge-padded grid) and upper weight per pixel."""
    g = (np.arange(size, dtype=np.float32) - tile / 2.0) / tile + 1.0
    low = np.floor(g)
    weight = (g - low).astype(np.float32)
    low_i = np.clip(low, 0, grid + 1).astype(np.int64)
    high_i = np.clip(low + 1, 0, grid + 1).astype(np.int64)
    return low_i, high_i, weight


class ContrastLimitedAdaptiveHistogramEqualization(BaseColorLayer):
    """Equalizes each ``tile_grid_size`` tile's histogram with its counts clipped at
    ``clip_limit`` times the mean (the excess spread evenly), and blends the four nearest
    tiles' mappings bilinearly, as Keras does. Deterministic: applied in every graph.

    Args:
        value_range: The images' ``(min, max)``.
        clip_limit: Histogram clip as a multiple of the mean bin count (0: no clip).
        tile_grid_size: Tiles per (height, width).
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kw
    ):
        super().__init__(value_range=value_range, data_format=data_format, **kw)
        self.clip_limit = float(clip_limit)
        self.tile_grid_size = tuple(int(g) for g in tile_grid_size)

    def call(self, inputs, training=True):
        x = self._to_float(inputs)
        single = len(x.shape) == 3
        x = ops.expand_dims(x, 0) if single else x
        first = self.data_format == "channels_first"
        x = ops.transpose(x, (0, 2, 3, 1)) if first else x
        out = self.from_range(self._clahe(self.to_range(x, 0.0, 255.0)), 0.0, 255.0)
        out = ops.transpose(out, (0, 3, 1, 2)) if first else out
        return ops.squeeze(out, 0) if single else out

    def _histograms(self, padded, tile_h, tile_w):
        """(N, gh, gw, C, 256) clipped tile histograms."""
        gh, gw = self.tile_grid_size
        channels = padded.shape[-1]
        tiles = ops.reshape(padded, (-1, gh, tile_h, gw, tile_w, channels))
        tiles = ops.transpose(tiles, (0, 1, 3, 5, 2, 4))
        values = ops.clip(ops.cast(tiles, "int64"), 0, 255)
        offsets = np.arange(gh * gw * channels, dtype=np.int64).reshape(gh, gw, channels, 1, 1)
        rows = ops.reshape(values + offsets * 256, (-1, gh * gw * channels * tile_h * tile_w))
        hist = ops.cast(ops.bincount(rows, minlength=gh * gw * channels * 256), "float32")
        hist = ops.reshape(hist, (-1, gh, gw, channels, 256))
        if self.clip_limit > 0:
            clipped = ops.clip(hist, 0.0, self.clip_limit * tile_h * tile_w / 256.0)
            hist = clipped + ops.sum(hist - clipped, axis=-1, keepdims=True) / 256.0
        return hist

    def _clahe(self, images):
        height, width, channels = images.shape[1:]
        gh, gw = self.tile_grid_size
        tile_h, tile_w = -(-height // gh), -(-width // gw)
        padded = _symmetric_pad(images, tile_h * gh - height, 1)
        padded = _symmetric_pad(padded, tile_w * gw - width, 2)
        cdf = ops.cumsum(self._histograms(padded, tile_h, tile_w), axis=-1)
        low = ops.min(cdf, axis=-1, keepdims=True)
        span = tile_h * tile_w - low
        table = ops.clip((cdf - low) * 255.0 / ops.where(ops.equal(span, 0.0), 1.0, span), 0, 255)
        table = ops.concatenate([table[:, :1], table, table[:, -1:]], axis=1)  # edge tiles
        table = ops.concatenate([table[:, :, :1], table, table[:, :, -1:]], axis=2)
        table = ops.reshape(table, (-1, (gh + 2) * (gw + 2) * channels * 256))
        y0, y1, wy = _tile_coordinates(tile_h * gh, tile_h, gh)
        x0, x1, wx = _tile_coordinates(tile_w * gw, tile_w, gw)
        stride_x, stride_y = 256 * channels, 256 * channels * (gw + 2)
        pixels = ops.clip(ops.cast(padded, "int64"), 0, 255)
        base = pixels + np.arange(channels, dtype=np.int64) * 256

        def corner(ys, xs):
            offset = ys.reshape(-1, 1, 1) * stride_y + xs.reshape(1, -1, 1) * stride_x
            index = ops.reshape(base + offset, (-1, tile_h * gh * tile_w * gw * channels))
            found = ops.take_along_axis(table, index, axis=1)
            return ops.reshape(found, (-1, tile_h * gh, tile_w * gw, channels))

        wy, wx = wy.reshape(-1, 1, 1), wx.reshape(1, -1, 1)
        top = corner(y0, x0) * (1.0 - wx) + corner(y0, x1) * wx
        bottom = corner(y1, x0) * (1.0 - wx) + corner(y1, x1) * wx
        out = top * (1.0 - wy) + bottom * wy
        return out[:, :height, :width, :]

    def get_config(self):
        return {
            **super().get_config(),
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        }
