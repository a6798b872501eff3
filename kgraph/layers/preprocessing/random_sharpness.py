"""``RandomSharpness``: sharpens or blurs each image by a random amount."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer

_A, _B = 1.0 / 13.0, 5.0 / 13.0  # Keras' smoothing kernel: centre 5/13, neighbours 1/13


class RandomSharpness(BaseColorLayer):
    """Moves each training image away from (sharpen) or towards (blur) its 3x3-smoothed
    version: ``x + (1 - 2f) * (smooth(x) - x)``, ``f`` drawn from ``factor`` (0.5 keeps the
    image), clipped to ``value_range``.

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
        first = self.data_format == "channels_first"
        x = ops.transpose(images, (0, 2, 3, 1)) if first else images
        kernel = np.full((3, 3, 1, 1), _A, np.float32)
        kernel[1, 1] = _B
        smooth = ops.depthwise_conv(x, np.tile(kernel, (1, 1, x.shape[-1], 1)), padding="same")
        smooth = ops.transpose(smooth, (0, 3, 1, 2)) if first else smooth
        out = images + (1.0 - 2.0 * transformation["factor"]) * (smooth - images)
        return ops.clip(out, self.value_range[0], self.value_range[1])
