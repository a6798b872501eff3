"""``Permute``: permutes the non-batch axes of the inputs."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer


class Permute(Layer):
    """Reorders axes ``1..rank-1``; ``dims`` counts from 1 (the batch axis stays first).

    Args:
        dims: A permutation of ``1, 2, …, len(dims)``.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer: it must "
                f"hold the consecutive indices 1..{len(dims)}. Received dims={dims}"
            )
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
