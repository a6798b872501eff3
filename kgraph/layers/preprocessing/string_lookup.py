"""``StringLookup``: string tokens to contiguous indices (or back, with ``invert``)."""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing import idf
from kgraph.layers.preprocessing.index_lookup import IndexLookup
from kgraph.ops.lookup import lookup


class StringLookup(IndexLookup):
    """Maps string tokens through a vocabulary with an ``ai.onnx.ml.LabelEncoder`` node (see
    ``IndexLookup`` for the index layout). Model inputs take ``dtype="string"``; numpy arrays of
    ``str``, ``bytes`` or Python strings are accepted.

    Difference from Keras: at most one OOV index (Keras hashes strings into several with
    FarmHash, which no ONNX operator computes).

    Args:
        max_tokens: Largest vocabulary size, special tokens included.
        num_oov_indices: 0 or 1.
        mask_token: A token that maps to index 0 (``None``: no mask).
        oov_token: The token ``invert`` returns for OOV indices (default ``"[UNK]"``).
        vocabulary: A list of strings or a text file, or None to ``adapt()``.
        invert: Map indices back to tokens.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        pad_to_max_tokens: Encoded outputs get ``max_tokens`` slots.
        encoding: Text encoding of ``bytes`` tokens (``"utf-8"``).
    """

    _token_dtype = "string"

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        if num_oov_indices > 1:
            raise ValueError(
                "kgraph's StringLookup supports num_oov_indices 0 or 1 (several OOV slots need a "
                f"string hash, which ONNX lacks). Received: num_oov_indices={num_oov_indices}"
            )
        self.encoding = encoding
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
        return token.decode(self.encoding) if isinstance(token, bytes) else str(token)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        if not isinstance(vocabulary, str):
            vocabulary = [self._parse(t) for t in np.asarray(vocabulary, dtype=object).ravel()]
        super().set_vocabulary(vocabulary, idf_weights)

    def call(self, inputs):
        if idf.ragged_rows(inputs) is not None:
            return super().call(inputs)  # each row on its own (IndexLookup._call_ragged)
        if isinstance(inputs, (list, tuple)):  # Python strings, as Keras takes them
            inputs = np.asarray(inputs, dtype=object)
        if isinstance(inputs, np.ndarray) and inputs.dtype.kind in "SO":
            inputs = np.vectorize(self._parse, otypes=[object])(inputs)
        return super().call(inputs)

    def _lookup(self, inputs, vocabulary):
        return lookup(inputs, vocabulary, range(len(vocabulary)), -1)

    def _is_mask(self, inputs):
        return ops.equal(lookup(inputs, [self.mask_token], [1], 0), np.int64(1))

    def _invert(self, inputs):
        table = [self.oov_token if t is None else t for t in self.get_vocabulary()]
        return lookup(inputs, range(len(table)), table, self.oov_token)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}
