"""``RandomRotation``: rotates each image by a random angle about its centre."""

from __future__ import annotations

from kgraph.layers.preprocessing.base_affine import BaseAffineLayer, affine_matrix


class RandomRotation(BaseAffineLayer):
    """Rotates each training image by an angle drawn uniformly from
    ``[factor[0] * 360°, factor[1] * 360°]`` (``factor`` is a fraction of a full turn; a
    number ``f`` means ``(-f, f)``).

    Args:
        factor: A float or a pair of floats in [-1, 1].
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``: what points
            outside the image read.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: Seed of the layer's generator.
        fill_value: The value read outside the image in ``"constant"`` mode.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        angle = self.uniform(data, (1,), self.factor[0] * 360.0, self.factor[1] * 360.0)
        height, width = self.image_size(data)
        return {"angle": angle, "matrix": affine_matrix(height, width, angle=angle)}
