"""``RandomHue``: rotates the hue of each image by a random amount."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer, hsv_channels
from kgraph.ops import image as image_ops


class RandomHue(BaseColorLayer):
    """Rotates the hue of each training image by ``±f / 2`` of a turn, ``f`` drawn from
    ``factor`` (a number means ``(-f, f)``) with a random sign, as Keras does.

    Args:
        factor: A float or pair in [-1, 1].
        value_range: The images' ``(min, max)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, value_range, seed, data_format, **kwargs)
        self._set_factor(factor)  # a required factor: None is a ValueError, as in Keras

    def get_random_transformation(self, data, training=True, seed=None):
        sign = ops.where(ops.greater(self.uniform(data, (1, 1, 1)), 0.5), -1.0, 1.0)
        return {"factor": sign * self.uniform(data, (1, 1, 1), *self.factor) * 0.5}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        (h, s, v), axis = hsv_channels(self.to_range(images, 0.0, 1.0), self.data_format)
        h = h + transformation["factor"]
        h = ops.where(ops.greater(h, 1.0), h - 1.0, h)
        h = ops.where(ops.less(h, 0.0), h + 1.0, h)
        hsv = ops.concatenate([h, s, v], axis=axis)
        rgb = image_ops.hsv_to_rgb(hsv, data_format=self.data_format)
        return self.from_range(rgb, 0.0, 1.0)
