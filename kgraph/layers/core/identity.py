"""``Identity``: returns its input unchanged."""

from __future__ import annotations

from kgraph.layers.layer import Layer


class Identity(Layer):
    """A placeholder layer that passes its input through."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
