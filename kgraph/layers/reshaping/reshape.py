"""``Reshape``: reshapes every sample to ``target_shape`` (the batch axis is kept)."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.ops import shapes


class Reshape(Layer):
    """Reshapes inputs to ``(batch, *target_shape)``.

    Args:
        target_shape: Shape of one sample; at most one entry may be -1 (inferred).
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target_shape = tuple(int(d) for d in target_shape)
        except TypeError:  # not iterable (None, 3): a TypeError in Keras too
            raise TypeError(
                f"`target_shape` must be a tuple of integers. Received: target_shape={target_shape}"
            ) from None
        if target_shape.count(-1) > 1 or any(d <= 0 and d != -1 for d in target_shape):
            raise ValueError(
                "`target_shape` must hold positive integers and at most one -1. "
                f"Received: target_shape={target_shape}"
            )
        self.target_shape = target_shape

    def _resolved(self, input_shape) -> tuple:
        return shapes.reshaped(tuple(input_shape)[1:], self.target_shape)

    def call(self, inputs):
        dims = tuple(-1 if d is None else d for d in self._resolved(shapes.static_shape(inputs)))
        return ops.reshape(inputs, (None, *dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self._resolved(input_shape))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
