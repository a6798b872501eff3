"""``RandomZoom``: zooms each image in or out about its centre."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_affine import BaseAffineLayer

_ERROR = (
    "The `height_factor` and `width_factor` arguments should be a number (or a list of two "
    "numbers) in the range (-1.0, 1.0]. "
)


_TRANSLATION_ERROR = (
    "The `factor` argument should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "
)


def zoom_range(factor, name, upper_open=False):
    """``(lower, upper)`` from a number or pair, checked against Keras' bounds (the closed
    range and message of RandomTranslation with ``upper_open``)."""
    error = _TRANSLATION_ERROR if upper_open else _ERROR
    pair = tuple(factor) if isinstance(factor, (tuple, list)) else None
    if pair is not None and len(pair) != 2:
        raise ValueError(error + f"Received: {name}={factor}")
    if pair is None and (not isinstance(factor, (int, float)) or isinstance(factor, bool)):
        raise ValueError(error + f"Received: {name}={factor}")
    for value in pair or (factor,):
        if value > 1.0 or (value <= -1.0 if not upper_open else value < -1.0):
            raise ValueError(error + f"Received: input_number={value}")
    return tuple(sorted(float(v) for v in pair)) if pair else (-abs(factor), abs(factor))


class RandomZoom(BaseAffineLayer):
    """Zooms each training image: the sampled window is ``1 + f`` times the image, ``f``
    drawn from ``height_factor`` (negative: zoom in) and, when given, ``width_factor`` (else
    the same draw keeps the aspect ratio).

    Args:
        height_factor: A float or pair in (-1, 1].
        width_factor: Same for the width, or None.
        fill_mode, interpolation, seed, fill_value, data_format: as ``RandomRotation``.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height_factor,
        width_factor=None,
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
        self.height_lower, self.height_upper = zoom_range(height_factor, "height_factor")
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = zoom_range(width_factor, "width_factor")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        zy = self.uniform(data, (1,), 1.0 + self.height_lower, 1.0 + self.height_upper)
        zx = zy
        if self.width_factor is not None:
            zx = self.uniform(data, (1,), 1.0 + self.width_lower, 1.0 + self.width_upper)
        height, width = self.image_size(data)
        zeros = ops.zeros_like(zx)
        x_off = (width - 1.0) / 2.0 * (1.0 - zx)
        y_off = (height - 1.0) / 2.0 * (1.0 - zy)
        matrix = ops.concatenate([zx, zeros, x_off, zeros, zy, y_off, zeros, zeros], axis=1)
        return {"height_zoom": zy, "width_zoom": zx, "matrix": matrix}

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }
