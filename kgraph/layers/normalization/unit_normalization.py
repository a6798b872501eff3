"""``UnitNormalization``: scales each sample to unit L2 norm over ``axis``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.normalization.base_norm_weights import resolve_axes, standardize_axis


def l2_normalize(x, axis, epsilon: float = 1e-7):
    """``x / max(||x||₂, epsilon)`` over ``axis`` (an int, a list of ints, or None for all),
    as Keras' ``ops.normalize`` (whose default epsilon is ``backend.epsilon()``)."""
    total = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.maximum(ops.sqrt(total), epsilon))


class UnitNormalization(Layer):
    """``x / ||x||₂`` over ``axis`` (the norm bounded below by 1e-12, as Keras).

    Args:
        axis: An int or a list of ints.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = standardize_axis(axis)

    def call(self, inputs):
        x = inputs if str(inputs.dtype).startswith("float") else ops.cast(inputs, "float32")
        return l2_normalize(x, resolve_axes(self.axis, inputs.shape), epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        resolve_axes(self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
