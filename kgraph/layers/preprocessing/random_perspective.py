"""``RandomPerspective``: a random projective warp of each image."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer
from kgraph.ops import image as image_ops
from kgraph.ops.image_perspective import homography


class RandomPerspective(BaseImagePreprocessingLayer):
    """With a probability drawn from ``factor``, moves each corner of a training image by
    ``u * corner`` (``u`` uniform in ``±scale / 2`` per coordinate, so the top-left corner
    stays, as in Keras) and warps the image to match; outside points read ``fill_value``.

    Args:
        factor: Probability, a float or pair in [0, 1].
        scale: Strength of the corner moves, in [0, 1].
        interpolation: ``"bilinear"`` or ``"nearest"``.
        fill_value: The value read outside the image.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor=1.0,
        scale=1.0,
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor=factor, seed=seed, data_format=data_format, **kwargs)
        if not 0 <= scale <= 1:
            raise ValueError(f"The `scale` argument should be in [0, 1]. Received: scale={scale}")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                "Invalid value for argument `interpolation`. Expected one of "
                f"('nearest', 'bilinear'). Received: interpolation={interpolation}"
            )
        self.scale = float(scale)
        self.interpolation = interpolation
        self.fill_value = fill_value

    def get_random_transformation(self, data, training=True, seed=None):
        height, width = self.image_size(data)
        start = np.asarray(
            [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], np.float32
        )
        moves = self.uniform(data, (4, 2), -0.5 * self.scale, 0.5 * self.scale)
        end = start + start * moves
        probability = self.uniform(data, (1, 1, 1), *self.factor)
        return {
            "apply_perspective": ops.less(self.uniform(data, (1, 1, 1)), probability),
            "start_points": start,
            "end_points": end,
            "matrix": homography(start + ops.zeros_like(end), end),
        }

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        warped = image_ops.affine_transform(
            images,
            transformation["matrix"],
            self.interpolation,
            "constant",
            self.fill_value,
            data_format=self.data_format,
        )
        return ops.where(transformation["apply_perspective"], warped, images)

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }
