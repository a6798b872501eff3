"""``RepeatVector``: ``(batch, features)`` → ``(batch, n, features)``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer


class RepeatVector(Layer):
    """Repeats a 2D input ``n`` times along a new axis 1 (a broadcast, no copy in the graph
    until a consumer needs one).

    Args:
        n: Positive number of repetitions.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}. Received: n={n!r}")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.broadcast_to(ops.expand_dims(inputs, 1), (None, self.n, inputs.shape[1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
