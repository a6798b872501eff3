"""``Masking``: zeroes the timesteps whose features all equal ``mask_value``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer


class Masking(Layer):
    """Outputs ``inputs`` with every timestep (position along the axes before the last)
    whose features all equal ``mask_value`` set to zero, as Keras' Masking computes.

    Its outputs carry the Keras mask (``any(inputs != mask_value, axis=-1)``), which later
    layers read as in Keras (``GlobalAveragePooling1D`` skips the masked steps, the training
    loss weights them 0).

    Args:
        mask_value: The padding value to mask.
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        same = ops.cast(ops.equal(inputs, self.mask_value), inputs.dtype)
        masked = ops.min(same, axis=-1, keepdims=True)  # 1 where every feature matched
        return ops.multiply(inputs, ops.subtract(1.0, masked))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
