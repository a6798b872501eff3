"""``Average`` layer and its functional form ``average([...])``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.merging.base_merge import Merge, reduce_pairwise


class Average(Merge):
    """Averages its inputs element-wise.

    Inputs are a list of tensors of the same shape (size-1 axes broadcast).
    """

    def _merge_function(self, inputs):
        return ops.divide(reduce_pairwise(ops.add, inputs), float(len(inputs)))


def average(inputs, **kwargs):
    """Functional interface to the ``Average`` layer."""
    return Average(**kwargs)(inputs)
