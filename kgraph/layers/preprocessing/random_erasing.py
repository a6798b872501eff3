"""``RandomErasing``: overwrites a random box of each image."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing import base_mixing
from kgraph.layers.preprocessing.base_color import BaseColorLayer


class RandomErasing(BaseColorLayer):
    """With a probability drawn from ``factor``, fills a box of each training image whose sides
    are ``sqrt(s)`` of the image's, ``s`` drawn from ``scale`` per side, with ``fill_value``
    (a number or one per channel), or with Gaussian noise scaled by ``value_range[1]`` when it
    is None; fills are clipped to ``value_range``.

    Args:
        factor: Probability, a float or pair in [0, 1].
        scale: Area-share range of the box sides, a float or pair in [0, 1].
        fill_value: None, a number, or three numbers.
        value_range: The images' ``(min, max)``.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=(0.02, 0.33),
        fill_value=None,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor, value_range, seed, data_format, **kwargs)
        low, high = sorted(scale) if isinstance(scale, (tuple, list)) else (0.0, scale)
        if not 0 <= low <= high <= 1:
            raise ValueError(
                "The `scale` argument should be a number (or a list of two numbers) in the "
                f"range [0, 1]. Received: scale={scale}"
            )
        if isinstance(fill_value, (tuple, list)) and len(fill_value) != 3:
            raise ValueError(
                "The `fill_value` argument should be a number (or a list of three numbers). "
                f"Received: fill_value={fill_value}"
            )
        self.scale = (float(low), float(high))
        self.fill_value = fill_value

    def get_random_transformation(self, data, training=True, seed=None):
        height, width = self.image_size(data)
        sides = ops.sqrt(self.uniform(data, (2,), *self.scale))
        x0, x1 = base_mixing.crop_bounds(self, data, width, sides[:, 0])
        y0, y1 = base_mixing.crop_bounds(self, data, height, sides[:, 1])
        probability = self.uniform(data, (1, 1, 1), *self.factor)
        return {
            "apply_erasing": ops.less(self.uniform(data, (1, 1, 1)), probability),
            "batch_masks": base_mixing.box_mask(self, data, x0, x1, y0, y1),
            "fill_value": self._fill(data),
        }

    def _fill(self, images):
        if self.fill_value is None:
            noise = base_mixing.normal(self, images, tuple(images.shape[1:]))
            fill = noise * float(self.value_range[1])
        else:
            value = np.asarray(self.fill_value, np.float32)
            if value.ndim and self.data_format == "channels_first":
                value = value.reshape(-1, 1, 1)
            fill = ops.zeros_like(images) + value
        return ops.clip(fill, self.value_range[0], self.value_range[1])

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        erase = ops.logical_and(transformation["apply_erasing"], transformation["batch_masks"])
        return ops.where(erase, transformation["fill_value"], images)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "fill_value": self.fill_value}
