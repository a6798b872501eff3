"""``Subtract`` layer and its functional form ``subtract([...])``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.merging.base_merge import Merge


class Subtract(Merge):
    """Subtracts the second input from the first (exactly two inputs).

    Inputs are a list of tensors of the same shape (size-1 axes broadcast).
    """

    min_inputs = 2
    max_inputs = 2

    def _merge_function(self, inputs):
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional interface to the ``Subtract`` layer."""
    return Subtract(**kwargs)(inputs)
