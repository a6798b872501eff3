"""``RandomFlip``: flips each image horizontally and/or vertically with probability 0.5."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image of a training batch with probability 0.5 (one draw per image; in
    ``horizontal_and_vertical`` mode that draw flips both axes, as in Keras).

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL):
            raise ValueError(
                f"RandomFlip layer {self.name} received an unknown mode argument {mode}"
            )
        self.mode = mode

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        return {"flips": ops.less_equal(self.uniform(data, (1, 1, 1)), 0.5)}

    def transform_images(self, images, transformation, training=True):
        if not training or transformation is None:
            return images
        h, w = self.spatial_axes(len(images.shape))
        flips = transformation["flips"]
        out = images
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = ops.where(flips, _reverse(out, w), out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = ops.where(flips, _reverse(out, h), out)
        return out

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return self.transform_images(masks, transformation, training)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def _reverse(x, axis):
    key = [slice(None)] * len(x.shape)
    key[axis] = slice(None, None, -1)
    return ops.get_item(x, tuple(key))
