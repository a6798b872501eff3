"""``RandomShear``: shears each image along x and/or y by a random amount."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_affine import BaseAffineLayer


def _shear_range(factor, name):
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"`{name}` must be a number or a pair. Received: {name}={factor}")
        low, high = sorted(float(f) for f in factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        low, high = 0.0, abs(float(factor))
    else:
        raise ValueError(f"`{name}` must be a number or a pair. Received: {name}={factor}")
    if low < 0.0 or high > 1.0:
        raise ValueError(f"`{name}` must lie in [0, 1]. Received: {name}={factor}")
    return low, high


class RandomShear(BaseAffineLayer):
    """Shears each training image: ``x_in = x + sx * y`` and ``y_in = sy * x + y`` with
    ``sx`` from ``x_factor`` and ``sy`` from ``y_factor`` (numbers ``f`` mean ``[0, f]``),
    both negated together with probability 0.5, as in Keras.

    Args:
        x_factor: A float or pair in [0, 1].
        y_factor: A float or pair in [0, 1].
        interpolation, fill_mode, fill_value, data_format, seed: as ``RandomRotation``.
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        x_factor=0.0,
        y_factor=0.0,
        interpolation="bilinear",
        fill_mode="reflect",
        fill_value=0.0,
        data_format=None,
        seed=None,
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
        self.x_factor = _shear_range(x_factor, "x_factor")
        self.y_factor = _shear_range(y_factor, "y_factor")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        sign = ops.where(ops.greater(self.uniform(data), 0.5), -1.0, 1.0)
        sy = self.uniform(data, (1,), *self.y_factor) * sign
        sx = self.uniform(data, (1,), *self.x_factor) * sign
        zeros, ones = ops.zeros_like(sx), ops.ones_like(sx)
        matrix = ops.concatenate([ones, sx, zeros, sy, ones, zeros, zeros, zeros], axis=1)
        return {"shear_factor": ops.concatenate([sx, sy], axis=1), "matrix": matrix}

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}
