"""``Softmax`` layer: normalised exponentials along one or more axes."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.ops.shapes import static_shape


class Softmax(Layer):
    """Softmax along ``axis``.

    Args:
        axis: An int, or a tuple of ints to normalise over several axes jointly.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.axis = tuple(int(a) for a in axis) if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs, mask=None):
        """With ``mask`` (broadcastable to the inputs; True or > 0.5 keeps), masked positions
        get -1e9 before the softmax and 0 after it, as in Keras."""
        if mask is not None:
            mask = _keep(mask, inputs)
            inputs = ops.where(mask, inputs, -1e9)
        if isinstance(self.axis, int) or len(self.axis) == 1:
            axis = self.axis if isinstance(self.axis, int) else self.axis[0]
            outputs = ops.softmax(inputs, axis=axis)
        else:
            shifted = ops.subtract(inputs, ops.max(inputs, axis=self.axis, keepdims=True))
            e = ops.exp(shifted)
            outputs = ops.divide(e, ops.sum(e, axis=self.axis, keepdims=True))
        return outputs if mask is None else ops.where(mask, outputs, 0.0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _keep(mask, inputs):
    """``mask`` as bool, after Keras' check that it broadcasts to ``inputs``."""
    m_shape, i_shape = static_shape(mask), static_shape(inputs)
    compatible = len(m_shape) <= len(i_shape) and all(
        m in (None, 1, i) or i is None for m, i in zip(m_shape[::-1], i_shape[::-1])
    )
    if not compatible:
        raise ValueError(
            "The `mask` must be broadcastable to `inputs`. Each mask dimension must be 1 or "
            f"match the corresponding input dimension. Received: inputs.shape={i_shape}, "
            f"mask.shape={m_shape}"
        )
    if str(getattr(mask, "dtype", "")) == "bool":
        return mask
    return ops.greater(mask, 0.5)
