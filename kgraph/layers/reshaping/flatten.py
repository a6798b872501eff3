"""``Flatten``: collapses every axis but the batch axis, in channels_last (row-major) order."""

from __future__ import annotations

import math

from kgraph import ops
from kgraph.layers.input_spec import InputSpec
from kgraph.layers.layer import Layer
from kgraph.ops.shapes import static_shape
from kgraph.utils import argument_validation as av


class Flatten(Layer):
    """Flattens inputs to ``(batch, -1)``.

    The order is numpy's row-major reshape of the channels_last tensor, as in Keras, so the
    kernel of a following ``Dense`` is interchangeable with Keras. Channels-first inputs are
    moved to channels_last first (Keras does the same). A rank-1 input becomes ``(batch, 1)``.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = av.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        rank = len(static_shape(inputs))
        if rank == 1:
            return ops.expand_dims(inputs, 1)
        if self.data_format == "channels_first" and rank > 2:
            inputs = ops.transpose(inputs, av.to_channels_last_perm(rank))
        rest = static_shape(inputs)[1:]
        size = -1 if None in rest else math.prod(rest)
        return ops.reshape(inputs, (None, size))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape[1:])
        if not rest:
            return (input_shape[0], 1)
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
