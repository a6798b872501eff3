"""Shared base of the geometric augmentation layers (rotation, zoom, translation, shear).

Each subclass draws per-sample parameters and builds Keras' 8-number transforms from them with
``kgraph.ops``; the image is then resampled by ``kgraph.ops.image.affine_transform`` (GatherND
sampling with Keras' fill modes and interpolations).
"""

from __future__ import annotations

import math

from kgraph import ops
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer
from kgraph.ops import image as image_ops


class BaseAffineLayer(BaseImagePreprocessingLayer):
    """Validates and stores ``fill_mode``, ``interpolation`` and ``fill_value``."""

    _SUPPORTED_FILL_MODE = ("reflect", "wrap", "constant", "nearest")
    _SUPPORTED_INTERPOLATION = ("nearest", "bilinear")

    def __init__(
        self,
        factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(factor=factor, seed=seed, data_format=data_format, **kwargs)
        if fill_mode not in self._SUPPORTED_FILL_MODE:
            raise NotImplementedError(
                f"Unknown `fill_mode` {fill_mode}. Expected of one {self._SUPPORTED_FILL_MODE}."
            )
        if interpolation not in self._SUPPORTED_INTERPOLATION:
            raise NotImplementedError(
                f"Unknown `interpolation` {interpolation}. Expected of one "
                f"{self._SUPPORTED_INTERPOLATION}."
            )
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        return image_ops.affine_transform(
            images,
            transformation["matrix"],
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def transform_segmentation_masks(self, masks, transformation, training=True):
        """Masks move with their images, resampled with nearest-neighbour interpolation."""
        if not training or transformation is None:
            return masks
        return image_ops.affine_transform(
            masks,
            transformation["matrix"],
            interpolation="nearest",
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


def affine_matrix(height, width, angle=None, scale=None, shear_x=None, shear_y=None, like=None):
    """Keras' rotation / scale / shear about the image centre as (batch, 8) transforms.

    ``angle``, ``shear_x`` and ``shear_y`` are (batch, 1) tensors in degrees, ``scale`` a
    (batch, 1) factor; missing ones are neutral. ``like`` is any (batch, 1) tensor.
    """
    ref = next(v for v in (angle, scale, shear_x, shear_y, like) if v is not None)
    zeros, ones = ops.zeros_like(ref), ops.ones_like(ref)
    rad = math.pi / 180.0
    theta = zeros if angle is None else angle * rad
    cos, sin = ops.cos(theta), ops.sin(theta)
    shx = zeros if shear_x is None else ops.sin(shear_x * rad) / ops.cos(shear_x * rad)
    shy = zeros if shear_y is None else ops.sin(shear_y * rad) / ops.cos(shear_y * rad)
    s = ones if scale is None else scale
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    a0 = s * (cos + shx * sin)
    a1 = s * (shx * cos - sin)
    b0 = s * (shy * cos + sin)
    b1 = s * (cos - shy * sin)
    a2 = cx - a0 * cx - a1 * cy
    b2 = cy - b0 * cx - b1 * cy
    return ops.concatenate([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
