"""``IntegerLookup``: integer tokens to contiguous indices (or back, with ``invert``)."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integer tokens through a vocabulary (see ``IndexLookup`` for the index layout).

    The lookup compares each input with every vocabulary entry (Equal + ArgMax in the graph),
    which suits vocabularies up to a few thousand entries.

    Args:
        max_tokens: Largest vocabulary size, special tokens included (adapt cuts to it).
        num_oov_indices: OOV slots; several ones take ``token % num_oov_indices``.
        mask_token: A token that maps to index 0 (``None``: no mask).
        oov_token: The token ``invert`` returns for OOV indices (default -1).
        vocabulary: A list of ints or a file, or None to ``adapt()``.
        vocabulary_dtype: ``"int64"`` (or ``"int32"``).
        invert: Map indices back to tokens.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        pad_to_max_tokens: Encoded outputs get ``max_tokens`` slots.
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        name=None,
        **kwargs,
    ):
        if vocabulary_dtype not in ("int64", "int32"):
            raise ValueError(
                "IntegerLookup's `vocabulary_dtype` must be int32 or int64. "
                f"Received: vocabulary_dtype={vocabulary_dtype}"
            )
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            idf_weights=idf_weights,
            name=name,
            **kwargs,
        )

    def _parse(self, token):
        return int(token)

    def _lookup(self, inputs, vocabulary):
        x = ops.cast(inputs, "int64")
        matches = ops.equal(ops.expand_dims(x, -1), np.asarray(vocabulary, np.int64))
        hit = ops.max(ops.cast(matches, "int64"), axis=-1)
        position = ops.cast(ops.argmax(matches, axis=-1), "int64")
        return ops.where(ops.equal(hit, 1), position, np.int64(-1))

    def _oov(self, inputs):
        first = np.int64(self._mask_slot())
        if self.num_oov_indices <= 1:
            return super()._oov(inputs)
        x = ops.cast(inputs, "float64")
        slot = ops.cast(x - ops.floor(x / self.num_oov_indices) * self.num_oov_indices, "int64")
        return slot + first

    def _is_mask(self, inputs):
        return ops.equal(ops.cast(inputs, "int64"), np.int64(self.mask_token))

    def _invert(self, inputs):
        table = np.asarray(
            [self.oov_token if t is None else t for t in self.get_vocabulary()], np.int64
        )
        index = ops.cast(inputs, "int64")
        safe = ops.clip(index, 0, len(table) - 1)
        tokens = ops.take(table, safe)
        inside = ops.equal(safe, index)  # out-of-range indices read the OOV token
        return ops.where(inside, tokens, np.int64(self.oov_token))

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}
