"""``Multiply`` layer and its functional form ``multiply([...])``."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers import masking_support
from kgraph.layers.merging.base_merge import Merge, reduce_pairwise


class Multiply(Merge):
    """Multiplies its inputs element-wise.

    Inputs are a list of tensors of the same shape (size-1 axes broadcast).
    """

    def _merge_function(self, inputs):
        """As Keras: a masked step counts as 1 in the product, and a step masked in every
        input (when all inputs carry masks) is 0."""
        masks = [masking_support.get_mask(x) for x in inputs]
        if all(m is None for m in masks):
            return reduce_pairwise(ops.multiply, inputs)
        keeps = [None if m is None else ops.expand_dims(ops.cast(m, "bool"), -1) for m in masks]
        factors = [x if k is None else ops.where(k, x, 1.0) for x, k in zip(inputs, keeps)]
        output = reduce_pairwise(ops.multiply, factors)
        if any(k is None for k in keeps):
            return output
        return ops.where(reduce_pairwise(ops.logical_or, keeps), output, 0.0)


def multiply(inputs, **kwargs):
    """Functional interface to the ``Multiply`` layer."""
    return Multiply(**kwargs)(inputs)
