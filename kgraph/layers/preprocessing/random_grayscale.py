"""``RandomGrayscale``: turns images to grayscale with probability ``factor``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer
from kgraph.ops import image as image_ops


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Replaces each RGB training image, with probability ``factor``, by its luma
    (``0.2989 R + 0.5870 G + 0.1140 B``) in all three channels.

    Args:
        factor: Probability in [0, 1].
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not 0 <= factor <= 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor

    def get_random_transformation(self, data, training=True, seed=None):
        return {"apply": ops.less(self.uniform(data, (1, 1, 1)), float(self.factor))}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(transformation["apply"], gray + ops.zeros_like(images), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
