"""``Minimum`` layer and its functional form ``minimum([...])``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.merging.base_merge import Merge, masked_pairwise


class Minimum(Merge):
    """Element-wise minimum of its inputs.

    Inputs are a list of tensors of the same shape (size-1 axes broadcast).
    """

    def _merge_function(self, inputs):
        return masked_pairwise(ops.minimum, inputs)


def minimum(inputs, **kwargs):
    """Functional interface to the ``Minimum`` layer."""
    return Minimum(**kwargs)(inputs)
