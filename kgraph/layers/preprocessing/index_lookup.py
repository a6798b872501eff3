"""The shared base of ``IntegerLookup`` and ``StringLookup``: a fixed vocabulary mapped to
indices (or back, with ``invert``), Keras' index layout and ``adapt()``.

Index layout, as in Keras: ``[mask_token]`` (when set) + ``num_oov_indices`` OOV slots +
the vocabulary. Inputs outside the vocabulary go to an OOV slot (``token % num_oov_indices``
for integers when there are several); with ``num_oov_indices=0`` an eager call on arrays
raises Keras' error, while a compiled graph maps them to -1 (an ONNX graph cannot raise).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from kgraph import ops, trace
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing import idf
from kgraph.layers.preprocessing.adapt_data import batches
from kgraph.layers.preprocessing.category_encoding import encode
from kgraph.tensor import KerasTensor, touch

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def unadapted_symbolic(inputs) -> bool:
    """Whether a call only builds a model (a symbolic input outside any graph trace), so a
    layer that is not adapted yet can answer with its output's shape and dtype."""
    return isinstance(inputs, KerasTensor) and trace.current() is None


def _check_tokens(layer, tokens, specials, skipped):
    """Keras' checks of a vocabulary's tokens (after the special tokens it may start with)."""
    seen, repeated = set(), set()
    for token in tokens:
        (repeated if token in seen else seen).add(token)
    if repeated:
        raise ValueError(
            "The passed vocabulary has at least one repeated term. Please uniquify your "
            f"dataset. The repeated terms are: {sorted(repeated)}"
        )
    for name, token in (("mask_token", layer.mask_token), ("oov_token", layer.oov_token)):
        if token is None or token not in seen or (name == "oov_token" and not layer.invert):
            continue  # an OOV token among the tokens only matters when inverting, as in Keras
        raise ValueError(
            "Found reserved "
            + ("mask" if name == "mask_token" else "OOV")
            + " token at unexpected location in `vocabulary`. Note that passed `vocabulary` "
            "does not need to include the OOV and mask tokens. Either remove all mask and OOV "
            "tokens, or include them only at the start of the vocabulary in precisely this "
            f"order: {specials}. Received: {name}={token} at vocabulary index "
            f"{skipped + tokens.index(token)}"
        )


class IndexLookup(Layer):
    """Base class; subclasses give ``_lookup(inputs, vocabulary)`` → positions in the
    vocabulary (-1 when absent) and ``_token_dtype``."""

    _token_dtype = "int64"

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=None,
        vocabulary=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        idf_weights=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {OUTPUT_MODES}. "
                f"Received: output_mode={output_mode}"
            )
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            raise ValueError("kgraph's lookup layers do not support `sparse=True`.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError(
                "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                "`idf_weights` argument must also be provided."
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.input_idf_weights = idf_weights
        self.idf_weights = None  # per output slot, with output_mode="tf_idf"
        self.vocabulary = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- vocabulary --------------------------------------------------------------------------
    @property
    def vocabulary(self):
        """The learnt tokens in index order, without the special ones (None before adapt)."""
        return self.__dict__.get("_vocabulary")

    @vocabulary.setter
    def vocabulary(self, tokens) -> None:
        # The tokens are compiled into every graph of a model holding this layer, but are no
        # Variable: a new vocabulary marks those graphs stale as an assign would.
        self.__dict__["_vocabulary"] = tokens
        touch()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary: a list, an array, or a text file with one token per line."""
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = [line.rstrip("\n") for line in f]
            vocabulary = [self._parse(t) for t in vocabulary]
        tokens = list(np.asarray(vocabulary).tolist())
        if not tokens:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={tokens}")
        specials = self.get_vocabulary()[: self._specials()] if self._specials() else []
        skipped = len(specials) if tokens[: len(specials)] == specials else 0
        tokens = tokens[skipped:]  # a get_vocabulary() result starts with the specials
        _check_tokens(self, tokens, specials, skipped)
        if self.max_tokens is not None and len(tokens) + self._specials() > self.max_tokens:
            raise ValueError(
                f"Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {len(tokens) + self._specials()}; "
                f"`max_tokens` is {self.max_tokens}."
            )
        self.idf_weights = self._given_idf(idf_weights, len(tokens) + skipped, skipped)
        self.vocabulary = tokens

    def _given_idf(self, idf_weights, count: int, skipped: int):
        """The slots' IDF weights from ``set_vocabulary``'s, as Keras pads them."""
        if self.output_mode != "tf_idf":
            if idf_weights is not None:
                raise ValueError(
                    "`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                    f"output_mode={self.output_mode} and idf_weights={idf_weights}"
                )
            return None
        if idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        weights = np.asarray(idf_weights, np.float32).reshape(-1)
        if len(weights) != count:
            raise ValueError(
                "`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                f"{len(weights)}; len(vocabulary) is {count}"
            )
        total = self.max_tokens if self.pad_to_max_tokens else None
        if skipped:  # the special tokens came with their own weights: only zeros appended
            return idf.pad(weights, 0, total)[: len(weights) if total is None else total]
        return idf.pad(weights, self._specials(), total)

    def _vocabulary_idf(self):
        """The IDF weights of the vocabulary's tokens (the config's, which a rebuilt layer
        pads again), or None."""
        if self.idf_weights is None or self.vocabulary is None:
            return None
        start = self._specials()
        return self.idf_weights[start : start + len(self.vocabulary)].tolist()

    def _parse(self, token):
        return token

    def _mask_slot(self) -> int:
        """1 when the mask token has index 0: in Keras only with ``output_mode="int"``."""
        return int(self.mask_token is not None and self.output_mode == "int")

    def _specials(self) -> int:
        return self._mask_slot() + self.num_oov_indices

    def get_vocabulary(self, include_special_tokens=True):
        """The tokens in index order (mask and OOV tokens first, unless excluded)."""
        vocab = list(self.vocabulary or [])
        if not include_special_tokens:
            return vocab
        head = [self.mask_token] if self._mask_slot() else []
        return head + [self.oov_token] * self.num_oov_indices + vocab

    def vocabulary_size(self) -> int:
        return len(self.vocabulary or []) + self._specials()

    def adapt(self, data, steps=None):
        """Learns the vocabulary: tokens by decreasing frequency (ties: larger token first, as
        Keras sorts), without the mask and OOV tokens, cut to ``max_tokens``."""
        self.adapt_documents(idf.documents(batches(data, steps)))

    def adapt_documents(self, documents) -> None:
        """``adapt`` over ``documents`` (flat token arrays; TF-IDF counts the documents that
        hold each token)."""
        found = idf.Frequencies(self._parse)
        for document in documents:
            found.add(document)
        counts = Counter(found.counts)
        counts.pop(self.mask_token, None)
        counts.pop(self.oov_token, None)
        ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        if self.max_tokens is not None:
            ordered = ordered[: self.max_tokens - self._specials()]
        vocabulary = [t for t, _ in ordered]  # unique, without the special tokens
        if self.output_mode == "tf_idf":
            total = self.max_tokens if self.pad_to_max_tokens else None
            self.idf_weights = found.weights(vocabulary, self._specials(), total)
        self.vocabulary = vocabulary

    # -- calling -----------------------------------------------------------------------------
    def call(self, inputs):
        rows = idf.ragged_rows(inputs)
        if rows is not None:
            return self._call_ragged(rows)
        if self.vocabulary is None:
            if self.output_mode == "int" and unadapted_symbolic(inputs):
                # building a model before adapt(), as Keras allows: only shapes are needed now
                dtype = self._token_dtype if self.invert else "int64"
                return KerasTensor(tuple(inputs.shape), dtype)
            raise ValueError(f"{type(self).__name__} needs a vocabulary or a call to adapt().")
        if self.invert:
            return self._invert(inputs)
        found = self._lookup(inputs, self.vocabulary)  # position in the vocabulary, or -1
        if self.num_oov_indices == 0 and isinstance(found, np.ndarray) and (found < 0).any():
            oov = np.unique(np.asarray(inputs)[np.asarray(found) < 0]).tolist()
            raise ValueError(
                "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                f"values {oov}, consider setting `num_oov_indices=1`."
            )
        index = ops.where(ops.greater_equal(found, 0), found + self._specials(), self._oov(inputs))
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.mask_token is not None:  # index 0, or no slot at all in the encoded outputs
            masked = np.int64(0 if self.output_mode == "int" else depth)
            index = ops.where(self._is_mask(inputs), masked, index)
        if self.output_mode == "int":
            return index
        if self.output_mode == "tf_idf":  # the token counts times their IDF weights
            return ops.multiply(encode(index, "count", depth, "float32"), self.idf_weights)
        return encode(index, self.output_mode, depth, "float32")

    def _call_ragged(self, rows):
        """Rows of different lengths (the multi-label example's lists of terms), each
        encoded as one sample: ``(rows, depth)`` for multi_hot, count and tf_idf."""
        if self.invert or self.output_mode not in ("multi_hot", "count", "tf_idf"):
            raise ValueError(
                f"{type(self).__name__} takes rows of different lengths only with "
                "output_mode 'multi_hot', 'count' or 'tf_idf' (kgraph has no ragged outputs): "
                "pad them first (keras.utils.pad_sequences). Received: "
                f"output_mode={self.output_mode!r}, invert={self.invert}"
            )
        return np.stack([np.asarray(self(np.asarray(row))) for row in rows])

    def _oov(self, inputs):
        first = self._mask_slot()
        if self.num_oov_indices == 0:
            return np.int64(-1)
        return np.int64(first)

    def _is_mask(self, inputs):
        raise NotImplementedError

    def _invert(self, inputs):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return (*shape, depth)
        return (*shape[:-1], depth)

    def get_config(self):
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "mask_token": self.mask_token,
            "oov_token": self.oov_token,
            "vocabulary": self.vocabulary,
            "invert": self.invert,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "idf_weights": self._vocabulary_idf(),
        }
