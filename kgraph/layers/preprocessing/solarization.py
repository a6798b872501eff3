"""``Solarization``: adds a random offset to pixels and inverts those above a random threshold."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer


def _unit_range(factor, name):
    pair = tuple(factor) if isinstance(factor, (tuple, list)) else (0.0, factor)
    if len(pair) != 2 or not all(0.0 <= float(v) <= 1.0 for v in pair):
        raise ValueError(
            f"The `{name}` argument should be a number (or a list of two numbers) in the range "
            f"[0.0, 1.0]. Received: {name}={factor}"
        )
    return tuple(sorted(float(v) for v in pair))


class Solarization(BaseColorLayer):
    """Adds ``a`` to every pixel (on a 0-255 scale), then inverts (``255 - x``) the pixels at
    or above a threshold ``t``; ``a`` and ``t`` are drawn per image from ``addition_factor``
    and ``threshold_factor`` (fractions of 255; numbers ``f`` mean ``(0, f)``).

    Args:
        addition_factor: A float or pair in [0, 1].
        threshold_factor: A float or pair in [0, 1].
        value_range: The images' ``(min, max)``.
        seed: Seed of the layer's generator.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs
    ):
        super().__init__(value_range=value_range, seed=seed, **kwargs)
        self.addition_factor = _unit_range(addition_factor, "addition_factor")
        self.threshold_factor = _unit_range(threshold_factor, "threshold_factor")

    def get_random_transformation(self, data, training=True, seed=None):
        a, t = self.addition_factor, self.threshold_factor
        return {
            "additions": self.uniform(data, (1, 1, 1), a[0], a[1] * 255),
            "thresholds": self.uniform(data, (1, 1, 1), t[0], t[1] * 255),
        }

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        x = ops.clip(self.to_range(images, 0.0, 255.0) + transformation["additions"], 0, 255)
        x = ops.where(ops.less(x, transformation["thresholds"]), x, 255.0 - x)
        return self.from_range(x, 0.0, 255.0)

    def get_config(self):
        return {
            **super().get_config(),
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
        }
