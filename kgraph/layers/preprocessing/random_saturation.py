"""``RandomSaturation``: scales the saturation of each image by a random factor."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer, hsv_channels
from kgraph.ops import image as image_ops


class RandomSaturation(BaseColorLayer):
    """Scales the saturation of each training image by ``f / (1 - f)``, ``f`` drawn from
    ``factor`` in [0, 1] (0.5 keeps it, 0 removes it, near 1 saturates), clipped to [0, 1].

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
        f = self.uniform(data, (1, 1, 1), *self.factor)
        return {"factor": f / (1.0 - f + 1e-7)}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        (h, s, v), axis = hsv_channels(self.to_range(images, 0.0, 1.0), self.data_format)
        s = ops.clip(s * transformation["factor"], 0.0, 1.0)
        rgb = image_ops.hsv_to_rgb(ops.concatenate([h, s, v], axis=axis), self.data_format)
        return self.from_range(rgb, 0.0, 1.0)
