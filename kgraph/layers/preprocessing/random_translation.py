"""``RandomTranslation``: shifts each image by a random fraction of its size."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_affine import BaseAffineLayer
from kgraph.layers.preprocessing.random_zoom import zoom_range


class RandomTranslation(BaseAffineLayer):
    """Shifts each training image by ``dy * height`` and ``dx * width`` pixels, ``dy`` and
    ``dx`` drawn from ``height_factor`` and ``width_factor`` (numbers ``f`` mean ``(-f, f)``).

    Args:
        height_factor: A float or pair in [-1, 1].
        width_factor: A float or pair in [-1, 1].
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            seed=seed,
            fill_value=fill_value,
            data_format=data_format,
            **kwargs,
        )
        self.height_factor = height_factor
        self.height_lower, self.height_upper = zoom_range(
            height_factor, "height_factor", upper_open=True
        )
        self.width_factor = width_factor
        self.width_lower, self.width_upper = zoom_range(
            width_factor, "width_factor", upper_open=True
        )

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        height, width = self.image_size(data)
        dy = self.uniform(data, (1,), self.height_lower, self.height_upper) * height
        dx = self.uniform(data, (1,), self.width_lower, self.width_upper) * width
        zeros, ones = ops.zeros_like(dx), ops.ones_like(dx)
        matrix = ops.concatenate([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)
        return {"translations": ops.concatenate([dx, dy], axis=1), "matrix": matrix}

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
