"""``RMSNormalization``: scales each sample by the inverse root mean square over ``axis``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.normalization.base_norm_weights import (
    broadcastable,
    resolve_axes,
    standardize_axis,
)


class RMSNormalization(Layer):
    """``scale * x / sqrt(mean(x², axis) + epsilon)``; ``scale`` has the shape of the axes.

    Args:
        axis: An int or a list of ints.
        epsilon: Added to the mean square.
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = standardize_axis(axis)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        axes = resolve_axes(self.axis, input_shape)
        shape = tuple(input_shape[a] for a in axes)
        self.scale = self.add_weight(shape=shape, initializer="ones", name="scale")
        self.built = True

    def call(self, inputs):
        axes = resolve_axes(self.axis, inputs.shape)
        x = inputs if str(inputs.dtype).startswith("float") else ops.cast(inputs, "float32")
        mean_square = ops.mean(ops.square(x), axis=axes, keepdims=True)
        y = ops.divide(x, ops.sqrt(ops.add(mean_square, self.epsilon)))
        return ops.multiply(y, broadcastable(self.scale, axes, len(inputs.shape)))

    def compute_output_shape(self, input_shape):
        resolve_axes(self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
