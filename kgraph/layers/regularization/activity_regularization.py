"""``ActivityRegularization``: the identity, with an L1/L2 penalty on its output."""

from __future__ import annotations

from kgraph import regularizers
from kgraph.layers.layer import Layer


class ActivityRegularization(Layer):
    """Passes inputs through and adds ``l1 * sum(|x|) + l2 * sum(x²)`` (divided by the batch
    size, as every activity regularizer) to the training loss.

    Args:
        l1: L1 factor.
        l2: L2 factor.
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)
        return config
