"""``RandomElasticTransform``: smooth random local distortions of each image."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing import base_mixing
from kgraph.layers.preprocessing.base_color import BaseColorLayer
from kgraph.ops.image_blur import blur_per_sample
from kgraph.ops.image_warp import warp


class RandomElasticTransform(BaseColorLayer):
    """With a probability drawn from ``factor``, displaces each training image's pixels by a
    random field: Gaussian noise blurred with ``sigma = 0.05 * s * min(H, W)`` and scaled by
    ``alpha = 0.1 * s * max(H, W)``, ``s`` drawn from ``scale`` per image (Keras draws one per
    batch and uses the same noise for both axes; here the two fields are independent), then
    resamples with ``interpolation`` and ``fill_mode`` and clips to ``value_range``.

    Args:
        factor: Probability, a float or pair in [0, 1].
        scale: Distortion strength, a float or pair in [0, 1].
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"``, ``"nearest"`` or ``"mirror"``.
        fill_value: The value read outside the image in ``"constant"`` mode.
        value_range: The images' ``(min, max)``.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        value_range=(0, 255),
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor, value_range, seed, data_format, **kwargs)
        low, high = sorted(scale) if isinstance(scale, (tuple, list)) else (0.0, scale)
        if not 0 <= low <= high <= 1:
            raise ValueError(
                "The `scale` argument should be a number (or a list of two numbers) in the range "
                f"[0, 1]. Received: scale={scale}"
            )
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"Unknown `interpolation` {interpolation}.")
        if fill_mode not in ("reflect", "wrap", "constant", "nearest", "mirror"):
            raise ValueError(f"Unknown `fill_mode` {fill_mode}.")
        self.scale = (float(low), float(high))
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value

    def get_random_transformation(self, data, training=True, seed=None):
        height, width = self.image_size(data)
        s = ops.reshape(self.uniform(data, (1,), *self.scale), (-1,))
        sigma = 0.05 * min(height, width) * s + 1e-3
        alpha = ops.reshape(0.1 * max(height, width) * s, (-1, 1, 1))
        size = int(6 * 0.05 * min(height, width) * self.scale[1]) | 1
        size = max(1, min(size, 2 * max(height, width) - 1))
        fields = []
        for _ in range(2):
            noise = base_mixing.normal(self, data, (height, width, 1)) * ops.reshape(
                sigma, (-1, 1, 1, 1)
            )
            smooth = blur_per_sample(noise, (size, size), sigma, sigma)
            fields.append(ops.reshape(smooth, (-1, height, width)) * alpha)
        probability = self.uniform(data, (1, 1, 1), *self.factor)
        grid_y = np.arange(height, dtype=np.float32).reshape(1, -1, 1)
        grid_x = np.arange(width, dtype=np.float32).reshape(1, 1, -1)
        return {
            "apply_transform": ops.less(self.uniform(data, (1, 1, 1)), probability),
            "ys": grid_y + fields[0],
            "xs": grid_x + fields[1],
        }

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        moved = warp(
            images,
            transformation["ys"],
            transformation["xs"],
            self.interpolation,
            self.fill_mode,
            self.fill_value,
            self.data_format,
        )
        out = ops.where(transformation["apply_transform"], moved, images)
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
        }
