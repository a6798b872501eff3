"""``RandomBrightness``: adds a random offset to each image."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_augmentation import (
    VALUE_RANGE_ERROR,
    BaseImagePreprocessingLayer,
    check_value_range,
)


class RandomBrightness(BaseImagePreprocessingLayer):
    """Adds ``d * (max - min)`` to every pixel of an image, ``d`` drawn per image from
    ``factor`` (a number ``f`` means ``(-f, f)``), then clips to ``value_range``.

    Args:
        factor: A float or pair in [-1, 1].
        value_range: The images' ``(min, max)``.
        seed: Seed of the layer's generator.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, seed=seed, **kwargs)
        self.value_range = check_value_range(value_range, VALUE_RANGE_ERROR)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        span = self.value_range[1] - self.value_range[0]
        delta = self.uniform(data, (1, 1, 1), self.factor[0], self.factor[1]) * float(span)
        return {"rgb_delta": delta}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        out = images + transformation["rgb_delta"]
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range)}
