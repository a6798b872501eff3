"""``Add`` layer and its functional form ``add([...])``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.merging.base_merge import Merge, reduce_pairwise


class Add(Merge):
    """Adds its inputs element-wise.

    Inputs are a list of tensors of the same shape (size-1 axes broadcast).
    """

    def _merge_function(self, inputs):
        return reduce_pairwise(ops.add, inputs)


def add(inputs, **kwargs):
    """Functional interface to the ``Add`` layer."""
    return Add(**kwargs)(inputs)
