"""``CategoryEncoding``: integer categories to one-hot, multi-hot or count vectors."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer

OUTPUT_MODES = ("count", "one_hot", "multi_hot")


def encode(inputs, output_mode: str, depth: int, dtype: str, count_weights=None):
    """Keras' categorical encoding of integer ``inputs`` into ``depth`` slots: ``one_hot``
    adds an axis (replacing a trailing axis of 1), ``multi_hot`` and ``count`` reduce axis 1
    as Keras 3 does (the last axis of a rank-2 input; a rank-1 input is one sample)."""
    rank = len(inputs.shape)
    if rank == 0:
        inputs = ops.expand_dims(inputs, -1)
        rank = 1
    if output_mode == "one_hot":
        if rank > 1 and inputs.shape[-1] == 1:
            inputs = ops.squeeze(inputs, -1)
        return ops.one_hot(inputs, depth, dtype=dtype)
    hot = ops.one_hot(inputs, depth, dtype=dtype)
    axis = 1 if rank > 1 else 0
    if output_mode == "multi_hot":
        return ops.max(hot, axis=axis)
    if count_weights is not None:
        hot = hot * ops.expand_dims(ops.cast(count_weights, dtype), -1)
    return ops.sum(hot, axis=axis)


class CategoryEncoding(Layer):
    """Encodes integer features in ``[0, num_tokens)``.

    Args:
        num_tokens: Number of categories.
        output_mode: ``"multi_hot"`` (default; ``"binary"`` is its old name), ``"one_hot"``
            or ``"count"`` (``count_weights`` in ``call`` weights the counts).
        sparse: Only False (ONNX graphs here carry dense tensors).
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not "
                "known beforehand, use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("kgraph has no sparse tensors. Received: sparse=True")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                "`count_weights` is not used when `output_mode` is not `'count'`. "
                f"Received `count_weights={count_weights}`."
            )
        if isinstance(inputs, (list, tuple)):  # Python integers, as Keras takes them
            inputs = np.asarray(inputs)
        return encode(inputs, self.output_mode, self.num_tokens, self.dtype, count_weights)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if not shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, self.num_tokens)
        if self.output_mode == "one_hot" or len(shape) <= 2:
            return (*shape[:-1], self.num_tokens)
        return (shape[0], *shape[2:], self.num_tokens)  # axis 1 reduced, as Keras computes

    def get_config(self):
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
