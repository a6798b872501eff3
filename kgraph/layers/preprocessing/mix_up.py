"""``MixUp``: blends each image (and label) with another one of the batch."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing import base_mixing
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer


class MixUp(BaseImagePreprocessingLayer):
    """Replaces each training image by ``w * x + (1 - w) * x[p]`` with ``p`` a random
    permutation of the batch and ``w ~ Beta(alpha, alpha)`` per sample. Called on a dict
    ``{"images": ..., "labels": ...}`` (e.g. in ``dataset.map``) it mixes the labels alike.

    Args:
        alpha: Beta parameter (> 0; small values keep images mostly unmixed).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not alpha > 0:
            raise ValueError(f"`alpha` must be positive. Received: alpha={alpha}")
        self.alpha = float(alpha)

    def get_random_transformation(self, data, training=True, seed=None):
        return {
            "mix_weight": base_mixing.beta(self, data, self.alpha),
            "permutation_order": base_mixing.permutation(self, data),
        }

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        w = ops.reshape(transformation["mix_weight"], (-1, 1, 1, 1))
        other = ops.take(images, transformation["permutation_order"], axis=0)
        return w * images + (1.0 - w) * other

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        labels = ops.cast(labels, "float32")
        w = ops.reshape(transformation["mix_weight"], (-1, *([1] * (len(labels.shape) - 1))))
        other = ops.take(labels, transformation["permutation_order"], axis=0)
        return w * labels + (1.0 - w) * other

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
