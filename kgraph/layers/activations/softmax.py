"""``Softmax`` layer: normalised exponentials along one or more axes."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer


class Softmax(Layer):
    """Softmax along ``axis``.

    Args:
        axis: An int, or a tuple of ints to normalise over several axes jointly.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = tuple(int(a) for a in axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs):
        if isinstance(self.axis, int) or len(self.axis) == 1:
            axis = self.axis if isinstance(self.axis, int) else self.axis[0]
            return ops.softmax(inputs, axis=axis)
        shifted = ops.subtract(inputs, ops.max(inputs, axis=self.axis, keepdims=True))
        e = ops.exp(shifted)
        return ops.divide(e, ops.sum(e, axis=self.axis, keepdims=True))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
