"""``CutMix``: pastes a random box of another image of the batch into each image."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing import base_mixing
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer


class CutMix(BaseImagePreprocessingLayer):
    """Each training image gets the pixels of a box from image ``p`` of the batch (``p`` a
    random permutation); the box covers a ``1 - w`` share of the image (its sides are
    ``sqrt(1 - w)`` of the image's), ``w ~ Beta(a, a)`` with ``a`` drawn from ``factor``. On a
    dict ``{"images": ..., "labels": ...}`` the labels are mixed by the actual box area.

    Args:
        factor: A float or pair in [0, 1] for the Beta parameter.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(factor=factor, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        height, width = self.image_size(data)
        alpha = self.uniform(data, (1,), *self.factor) + 1e-6
        ratio = ops.sqrt(1.0 - base_mixing.beta(self, data, alpha))
        x0, x1 = base_mixing.crop_bounds(self, data, width, ratio)
        y0, y1 = base_mixing.crop_bounds(self, data, height, ratio)
        return {
            "permutation_order": base_mixing.permutation(self, data),
            "batch_masks": base_mixing.box_mask(self, data, x0, x1, y0, y1),
            "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / float(width * height),
        }

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        other = ops.take(images, transformation["permutation_order"], axis=0)
        return ops.where(transformation["batch_masks"], other, images)

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        labels = ops.cast(labels, "float32")
        w = ops.reshape(transformation["mix_weight"], (-1, *([1] * (len(labels.shape) - 1))))
        other = ops.take(labels, transformation["permutation_order"], axis=0)
        return w * labels + (1.0 - w) * other
