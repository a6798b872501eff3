"""``Maximum`` layer and its functional form ``maximum([...])``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.merging.base_merge import Merge, masked_pairwise


class Maximum(Merge):
    """Element-wise maximum of its inputs.

    Inputs are a list of tensors of the same shape (size-1 axes broadcast).
    """

    def _merge_function(self, inputs):
        return masked_pairwise(ops.maximum, inputs)


def maximum(inputs, **kwargs):
    """Functional interface to the ``Maximum`` layer."""
    return Maximum(**kwargs)(inputs)
