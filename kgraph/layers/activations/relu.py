"""``ReLU`` layer: rectified linear unit with optional cap, threshold and negative slope."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer


class ReLU(Layer):
    """``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold < x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: Non-negative cap of the output; None for no cap.
        negative_slope: Non-negative slope below the threshold.
        threshold: Non-negative value below which the slope applies.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                "max_value of a ReLU layer cannot be a negative value. "
                f"Received: max_value={max_value}"
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                "negative_slope of a ReLU layer cannot be None or a negative "
                f"value. Received: negative_slope={negative_slope}"
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                "threshold of a ReLU layer cannot be None or a negative value. "
                f"Received: threshold={threshold}"
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        slope, threshold, cap = float(self.negative_slope), float(self.threshold), self.max_value
        if slope and cap is None and not threshold:
            return ops.leaky_relu(inputs, slope)
        if cap is not None and not slope and not threshold:
            return ops.clip(inputs, 0.0, float(cap))  # one Clip node (ReLU(6.0) in MobileNets)
        if threshold:
            y = ops.where(ops.greater(inputs, threshold), inputs, 0.0)
        else:
            y = ops.relu(inputs)
        if cap is not None:
            y = ops.clip(y, 0.0, float(cap))
        if slope:
            below = ops.relu(ops.subtract(threshold, inputs))
            y = ops.subtract(y, ops.multiply(below, slope))
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }
