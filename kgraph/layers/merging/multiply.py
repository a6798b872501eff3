"""``Multiply`` layer and its functional form ``multiply([...])``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.merging.base_merge import Merge, reduce_pairwise


class Multiply(Merge):
    """Multiplies its inputs element-wise.

    Inputs are a list of tensors of the same shape (size-1 axes broadcast).
    """

    def _merge_function(self, inputs):
        return reduce_pairwise(ops.multiply, inputs)


def multiply(inputs, **kwargs):
    """Functional interface to the ``Multiply`` layer."""
    return Multiply(**kwargs)(inputs)
