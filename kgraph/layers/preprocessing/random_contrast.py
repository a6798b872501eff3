"""``RandomContrast``: scales each image's deviation from its mean by a random factor."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer


class RandomContrast(BaseImagePreprocessingLayer):
    """Per image and channel: ``(x - mean) * c + mean``, clipped to ``value_range``, with
    ``c`` drawn from ``[1 - factor[0], 1 + factor[1]]`` per image (Keras' bounds: a number
    ``f`` in [0, 1] gives ``factor = (0, f)``).

    Args:
        factor: A float or pair in [0, 1].
        value_range: The images' ``(min, max)``; outputs are clipped to it.
        seed: Seed of the layer's generator.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, seed=seed, **kwargs)
        self._set_factor(factor)  # a required factor: None is a ValueError, as in Keras
        self.value_range = value_range

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        c = self.uniform(data, (1, 1, 1), 1.0 - self.factor[0], 1.0 + self.factor[1])
        return {"contrast_factor": c}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        mean = ops.mean(images, axis=self.spatial_axes(len(images.shape)), keepdims=True)
        out = (images - mean) * transformation["contrast_factor"] + mean
        return ops.clip(out, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}
