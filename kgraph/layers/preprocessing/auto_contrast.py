"""``AutoContrast``: stretches each image channel to the full value range."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_color import BaseColorLayer


class AutoContrast(BaseColorLayer):
    """Stretches each image's channels to the full ``value_range`` (deterministic, applied in
    every graph as in Keras). A constant channel is left unchanged.

    Args:
        value_range: The images' ``(min, max)``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(value_range=value_range, **kwargs)

    def call(self, inputs, training=True):
        images = self._to_float(inputs)
        axes = self.spatial_axes(len(images.shape))
        if len(images.shape) == 3:
            axes = tuple(a - 1 for a in axes)
        low = ops.min(images, axis=axes, keepdims=True)
        high = ops.max(images, axis=axes, keepdims=True)
        span = high - low
        safe = ops.where(ops.greater(span, 0.0), span, 1.0)
        stretched = (images - low) / safe * (self.value_range[1] - self.value_range[0])
        stretched = stretched + self.value_range[0]
        return ops.where(ops.greater(span, 0.0), stretched, images)
