"""``RandomPosterization``: keeps a random number of bits per pixel value."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer


class RandomPosterization(BaseColorLayer):
    """Keeps ``b`` bits of each 0-255 pixel value, ``b`` drawn per image from ``factor``
    (integers in [1, 8]; a number ``f`` means ``(1, f)``): ``floor(x / 2^(8-b)) * 2^(8-b)``.

    Args:
        factor: An int or pair in [1, 8].
        value_range: The images' ``(min, max)``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        pair = tuple(factor) if isinstance(factor, (tuple, list)) else (1, factor)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
        if len(pair) != 2 or not numbers or not all(1 <= int(v) <= 8 for v in pair):
            raise ValueError(
                "The `factor` argument should be a number (or a list of two numbers) in the "
                f"range [1, 8]. Received: factor={factor}"
            )
        self.factor = tuple(sorted(int(v) for v in pair))

    def get_random_transformation(self, data, training=True, seed=None):
        low, high = self.factor
        bits = ops.floor(self.uniform(data, (1, 1, 1), low, high + 1 - 1e-6))
        return {"shift_factor": 8.0 - bits}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        step = ops.power(2.0, transformation["shift_factor"])
        x = ops.floor(ops.clip(self.to_range(images, 0.0, 255.0), 0, 255))
        return self.from_range(ops.floor(x / step) * step, 0.0, 255.0)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
