"""``Identity``: returns its input unchanged."""

from __future__ import annotations

from kgraph.layers.layer import Layer


class Identity(Layer):
    """A placeholder layer that passes its input (and its Keras mask) through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
