"""Shared base of the colour augmentation layers: a validated ``value_range`` and the maps
between it and the [0, 1] / [0, 255] ranges the colour formulas work in."""

from __future__ import annotations

from kgraph.layers.preprocessing.base_augmentation import (
    VALUE_RANGE_ERROR,
    BaseImagePreprocessingLayer,
    check_value_range,
)
from kgraph.ops import image as image_ops


class BaseColorLayer(BaseImagePreprocessingLayer):
    """Stores ``value_range`` (the images' (min, max)) for the colour layers."""

    def __init__(self, factor=None, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor=factor, seed=seed, data_format=data_format, **kwargs)
        self.value_range = check_value_range(value_range, VALUE_RANGE_ERROR)

    def to_range(self, images, low, high):
        """``images`` mapped linearly from ``value_range`` to ``[low, high]``."""
        a, b = self.value_range
        if (a, b) == (low, high):
            return images
        return (images - a) * ((high - low) / (b - a)) + low

    def from_range(self, images, low, high):
        """``images`` mapped linearly from ``[low, high]`` back to ``value_range``."""
        a, b = self.value_range
        if (a, b) == (low, high):
            return images
        return (images - low) * ((b - a) / (high - low)) + a

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range)}


def hsv_channels(images, data_format):
    """The H, S and V channels (each keeping a channel axis of 1) of RGB images in [0, 1],
    and the channel axis."""
    hsv = image_ops.rgb_to_hsv(images, data_format=data_format)
    axis = 1 if data_format == "channels_first" else 3
    key = [slice(None)] * 4
    channels = []
    for c in range(3):
        key[axis] = slice(c, c + 1)
        channels.append(hsv[tuple(key)])
    return channels, axis
