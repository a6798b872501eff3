"""``ELU`` layer: exponential linear unit."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer


class ELU(Layer):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Args:
        alpha: Scale of the negative part.
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha = alpha

    def call(self, inputs):
        return ops.elu(inputs, float(self.alpha))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
