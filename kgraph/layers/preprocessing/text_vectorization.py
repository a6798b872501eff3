"""``TextVectorization``: strings to token indices or token counts, as Keras' layer: standardize
(lowercase ASCII letters, strip ASCII punctuation), split (whitespace or characters), optional
ngrams, then a ``StringLookup`` vocabulary learnt by ``adapt()`` (by frequency, as Keras orders
it).

The layer runs eagerly on numpy arrays (or in ``Dataset.map``) and, with the built-in
standardizations and ``split="whitespace"`` or None, inside a compiled model too
(``kgraph.layers.preprocessing.text_lowering`` writes those steps with ONNX string ops), so a
model can start at raw strings and be exported with them.

Differences from Keras: a callable ``standardize`` or ``split`` and ``split="character"`` run
on numpy only (ONNX has no way to call Python or to list a string's characters).
"""

from __future__ import annotations

import re
import string

import numpy as np

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.preprocessing import idf, text_lowering
from kgraph.layers.preprocessing.adapt_data import batches
from kgraph.layers.preprocessing.index_lookup import unadapted_symbolic
from kgraph.layers.preprocessing.string_lookup import StringLookup
from kgraph.ops.lookup import lookup
from kgraph.tensor import KerasTensor

# Keras' punctuation class (tf.strings.regex_replace in Keras): the ASCII punctuation marks
STRIP_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")
# tf.strings.lower without an encoding (as Keras calls it) lowercases ASCII letters only
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# tf.strings.split splits on runs of C's isspace characters, not on Unicode spaces
WHITESPACE = re.compile("[ \t\n\v\f\r]+")
STANDARDIZE = (None, "lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = (None, "whitespace", "character")
OUTPUT_MODES = ("int", "multi_hot", "count", "tf_idf")


def _check(name, value, allowed):
    if not (value in allowed or callable(value)):
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected one of {allowed} or a callable. "
            f"Received: {name}={value!r}"
        )


class TextVectorization(Layer):
    """Turns strings into index sequences (``output_mode="int"``: 0 pads, 1 is OOV) or
    multi-hot / count vectors over the vocabulary.

    Args:
        max_tokens: Largest vocabulary size, the pad and OOV tokens included.
        standardize: ``"lower_and_strip_punctuation"``, ``"lower"``, ``"strip_punctuation"``,
            None, or a callable on a numpy array of ``str``.
        split: ``"whitespace"``, ``"character"``, None, or a callable ``str -> list[str]``.
        ngrams: None, ``n`` (1- to n-grams) or a tuple of widths, joined by spaces.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"`` (counts times
            each token's inverse document frequency, learnt by ``adapt`` or given as
            ``idf_weights``; see ``kgraph.layers.preprocessing.idf``).
        output_sequence_length: ``"int"`` outputs are padded or cut to it (else to the
            longest row of the batch).
        pad_to_max_tokens: Encoded outputs get ``max_tokens`` slots.
        vocabulary: A list of tokens or a file, or None to ``adapt()``.
        encoding: Text encoding of ``bytes`` inputs.
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        _check("standardize", standardize, STANDARDIZE)
        _check("split", split, SPLIT)
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {OUTPUT_MODES}. "
                f"Received: output_mode={output_mode}"
            )
        if not (ngrams is None or isinstance(ngrams, int) or _int_tuple(ngrams)):
            raise ValueError(
                f"`ngrams` must be None, an integer, or a tuple of integers. Received: "
                f"ngrams={ngrams}"
            )
        if output_sequence_length is not None and (
            output_mode != "int" or not isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                "`output_sequence_length` must be None or an integer, and only with "
                f"output_mode='int'. Received: output_sequence_length={output_sequence_length}"
            )
        if sparse or ragged:
            raise ValueError("kgraph's TextVectorization supports no sparse or ragged outputs.")
        if (idf_weights is not None) != (output_mode == "tf_idf" and vocabulary is not None):
            raise ValueError(
                "`idf_weights` goes with output_mode='tf_idf' and a `vocabulary`, and a "
                f"vocabulary in that mode needs it. Received: idf_weights={idf_weights}, "
                f"output_mode={output_mode}"
            )
        self.standardize, self.split, self.ngrams = standardize, split, ngrams
        self.idf_weights, self.input_idf_weights = None, idf_weights
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.encoding = encoding
        self.lookup = StringLookup(
            max_tokens=max_tokens,
            mask_token="" if output_mode == "int" else None,
            vocabulary=vocabulary,
            output_mode="int",
            pad_to_max_tokens=pad_to_max_tokens,
            encoding=encoding,
        )
        if vocabulary is not None and idf_weights is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- text to tokens ----------------------------------------------------------------------
    def _texts(self, inputs) -> np.ndarray:
        texts = np.asarray(inputs, dtype=object)
        if texts.ndim == 2 and texts.shape[-1] == 1:
            texts = texts[:, 0]
        if texts.ndim != 1:
            raise ValueError(_rank_error(texts.shape))
        return np.array(
            [t.decode(self.encoding) if isinstance(t, bytes) else str(t) for t in texts],
            dtype=object,
        )

    def _widths(self) -> tuple:
        if self.ngrams is None:
            return (1,)
        return tuple(range(1, self.ngrams + 1)) if isinstance(self.ngrams, int) else self.ngrams

    def _tokens(self, inputs) -> list[list[str]]:
        """Each text's tokens after standardizing, splitting and ngrams."""
        texts = self._texts(inputs)
        if callable(self.standardize):
            texts = np.asarray(self.standardize(texts.astype(str)), dtype=object)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            texts = [t.translate(ASCII_LOWER) for t in texts]
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            texts = [STRIP_PUNCTUATION.sub("", t) for t in texts]
        if self.split is None:
            rows = [[t] for t in texts]
        elif self.split == "whitespace":
            rows = [[w for w in WHITESPACE.split(t) if w] for t in texts]
        elif self.split == "character":
            rows = [list(t) for t in texts]
        else:
            rows = [list(self.split(t)) for t in texts]
        if self.ngrams is None:
            return rows
        return [
            [" ".join(row[i : i + n]) for n in self._widths() for i in range(len(row) - n + 1)]
            for row in rows
        ]

    # -- vocabulary --------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from the tokens of ``data`` (an array of strings, a dataset
        or an iterable of batches)."""
        del batch_size
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], (str, bytes)):
            data = np.asarray(data, dtype=object)  # one batch of texts
        found = idf.Frequencies(str)  # each text is a document

        def documents():
            for batch in batches(data, steps):
                for row in self._tokens(batch):
                    found.add(row)
                    yield np.array(row, dtype=object)

        self.lookup.adapt_documents(documents())
        if self.output_mode == "tf_idf":
            self.idf_weights = found.weights(self.lookup.vocabulary, 1, self._padded_total())

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self.lookup.set_vocabulary(vocabulary)
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
            given = np.asarray(idf_weights, np.float32).reshape(-1)
            oov = int(len(given) > len(self.lookup.vocabulary))  # "[UNK]" given with its weight
            self.idf_weights = idf.pad(given, 1 - oov, self._padded_total())

    def _vocabulary_idf(self):
        if self.idf_weights is None:
            return None
        return self.idf_weights[1 : 1 + len(self.lookup.vocabulary)].tolist()

    def _padded_total(self):
        return self.lookup.max_tokens if self.lookup.pad_to_max_tokens else None

    def get_vocabulary(self, include_special_tokens=True):
        return self.lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self.lookup.vocabulary_size()

    # -- calling -----------------------------------------------------------------------------
    def call(self, inputs):
        if isinstance(inputs, KerasTensor):
            return self._graph_call(inputs)
        if self.lookup.vocabulary is None:
            raise ValueError("TextVectorization needs a vocabulary or a call to adapt().")
        index = {t: i for i, t in enumerate(self.get_vocabulary())}
        oov = 1 if self.output_mode == "int" else 0
        rows = [[index.get(t, oov) for t in row] for row in self._tokens(inputs)]
        if self.output_mode == "int":
            width = self.output_sequence_length
            width = max(map(len, rows), default=0) if width is None else width
            out = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                out[i, : min(width, len(row))] = row[:width]
            return out
        out = np.zeros((len(rows), self._depth()), dtype=np.float32)
        for i, row in enumerate(rows):
            np.add.at(out[i], row, 1.0)
        if self.output_mode == "tf_idf":
            return out * self.idf_weights
        return np.minimum(out, 1.0) if self.output_mode == "multi_hot" else out

    def _depth(self) -> int:
        return self.lookup.max_tokens if self.lookup.pad_to_max_tokens else self.vocabulary_size()

    def _graph_call(self, inputs):
        """The layer inside a model: the ``text_lowering`` ops, the vocabulary as one
        ``LabelEncoder``, then padding (``"int"``) or counting over the vocabulary."""
        for name, value in (("standardize", self.standardize), ("split", self.split)):
            if callable(value) or value == "character":
                raise ValueError(
                    f"TextVectorization with {name}={value!r} runs on numpy only (ONNX cannot "
                    "call Python or split characters): apply it in the data pipeline."
                )
        if inputs.dtype != "string":
            raise ValueError(
                f"TextVectorization takes strings. Received: inputs.dtype={inputs.dtype}"
            )
        shape = tuple(inputs.shape)
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(_rank_error(shape))
        if self.lookup.vocabulary is None:
            if unadapted_symbolic(inputs):  # a model built before adapt(), as Keras allows
                dtype = "int64" if self.output_mode == "int" else "float32"
                return KerasTensor(self.compute_output_shape(shape), dtype)
            raise ValueError("TextVectorization needs a vocabulary or a call to adapt().")
        texts = ops.reshape(inputs, (-1,)) if len(shape) == 2 else inputs
        lower = self.standardize in ("lower", "lower_and_strip_punctuation")
        strip = self.standardize in ("strip_punctuation", "lower_and_strip_punctuation")
        tokens, counts = text_lowering.text_tokens(texts, lower, strip, self.split is not None)
        grams, valid = text_lowering.text_ngrams(tokens, counts, self._widths())
        vocabulary = self.lookup.vocabulary
        if self.output_mode == "int":  # "" is the mask (0), anything unknown is OOV (1)
            keys, first, oov = ["", *vocabulary], 2, 1
            ids = lookup(grams, keys, [0, *range(first, first + len(vocabulary))], oov)
            compact = len(self._widths()) > 1
            return text_lowering.arrange_ids(ids, valid, self.output_sequence_length, 0, compact)
        ids = lookup(grams, vocabulary, range(1, len(vocabulary) + 1), 0)
        depth = self._depth()
        ids = ops.where(valid, ids, np.int64(depth))  # padding falls outside the one-hot
        counts = ops.sum(ops.one_hot(ids, depth, dtype="float32"), axis=1)
        if self.output_mode == "tf_idf":
            return ops.multiply(counts, self.idf_weights)
        return ops.minimum(counts, 1.0) if self.output_mode == "multi_hot" else counts

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        if self.lookup.vocabulary is None and not self.lookup.pad_to_max_tokens:
            return (input_shape[0], None)
        return (input_shape[0], self._depth())

    def get_config(self):
        vocabulary = self.lookup.vocabulary
        return {
            **super().get_config(),
            "max_tokens": self.lookup.max_tokens,
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.lookup.pad_to_max_tokens,
            "sparse": False,
            "ragged": False,
            "vocabulary": list(vocabulary) if vocabulary is not None else None,
            "idf_weights": self._vocabulary_idf(),
            "encoding": self.encoding,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)


def _rank_error(shape) -> str:
    return (
        "When using `TextVectorization` to tokenize strings, the input rank must be 1 or the "
        f"last shape dimension must be 1. Received: inputs.shape={tuple(shape)}"
    )


def _int_tuple(value) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, int) for v in value)
