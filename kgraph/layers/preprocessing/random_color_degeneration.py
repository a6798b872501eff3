"""``RandomColorDegeneration``: blends images towards grayscale by a random amount."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer
from kgraph.ops import image as image_ops


class RandomColorDegeneration(BaseColorLayer):
    """Blends each training image towards its grayscale version by a factor drawn from
    ``factor`` (0: unchanged, 1: gray), clipped to ``value_range``.

    Args:
        factor: A float or pair in [0, 1] (a number ``f`` means ``(0, f)``).
        value_range: The images' ``(min, max)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed, data_format, **kwargs)
        self._set_factor(factor)  # a required factor: None is a ValueError, as in Keras

    def get_random_transformation(self, data, training=True, seed=None):
        return {"factor": self.uniform(data, (1, 1, 1), *self.factor)}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        out = images + transformation["factor"] * (gray - images)
        return ops.clip(out, self.value_range[0], self.value_range[1])
