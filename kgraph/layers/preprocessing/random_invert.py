"""``RandomInvert``: inverts images (``max - x``) at random."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer


class RandomInvert(BaseColorLayer):
    """Inverts (``max - x``) each training image with a probability drawn from ``factor``.

    Args:
        factor: Probability, a float or pair in [0, 1] (default 1.0: ``(0, 1)``, so about
            half of the images).
        value_range: The images' ``(min, max)``.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, value_range, seed, data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        probability = self.uniform(data, (1, 1, 1), *self.factor)
        return {"apply_inversion": ops.less(self.uniform(data, (1, 1, 1)), probability)}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        flipped = self.value_range[1] - images
        return ops.where(transformation["apply_inversion"], flipped, images)
