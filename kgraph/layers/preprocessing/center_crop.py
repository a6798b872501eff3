"""``CenterCrop``: the centred ``height`` x ``width`` window of each image."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.resizing import Resizing
from kgraph.ops import image as image_ops


class CenterCrop(Resizing):
    """Cuts the centred ``(height, width)`` window; an image smaller than that on some axis is
    instead cropped to the target's aspect ratio and resized (bilinear), as Keras does.
    Integer images come back as floats.

    Args:
        height: Output height.
        width: Output width.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(
            height, width, crop_to_aspect_ratio=True, data_format=data_format, **kwargs
        )

    def call(self, inputs):
        dtype = self.dtype if self.dtype.startswith("float") else "float32"
        x = inputs if getattr(inputs, "dtype", None) == dtype else ops.cast(inputs, dtype)
        rank = len(x.shape)
        h, w = (
            (rank - 2, rank - 1) if self.data_format == "channels_first" else (rank - 3, rank - 2)
        )
        dh, dw = x.shape[h] - self.height, x.shape[w] - self.width
        if dh < 0 or dw < 0:
            return super().call(x)
        return image_ops.crop_images(
            x,
            top_cropping=dh // 2,
            left_cropping=dw // 2,
            target_height=self.height,
            target_width=self.width,
            data_format=self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        return {
            k: v
            for k, v in config.items()
            if k
            not in (
                "interpolation",
                "crop_to_aspect_ratio",
                "pad_to_aspect_ratio",
                "fill_mode",
                "fill_value",
                "antialias",
            )
        }
