"""TF-IDF weights of the lookup layers' ``output_mode="tf_idf"``, as Keras computes them: a
token's inverse document frequency ``log(1 + documents / (1 + documents holding it))``, the
OOV slots given the mean weight of the vocabulary, zeros for the slots ``pad_to_max_tokens``
adds. The encoded output is the token counts times these weights."""

from __future__ import annotations

from collections import Counter

import numpy as np


def documents(token_batches):
    """Each document of ``token_batches`` as a flat array of tokens: a row of a batch of rank
    2 or more, or a whole batch of rank 0 or 1 (Keras reads a 1-D batch as one document)."""
    for batch in token_batches:
        batch = np.asarray(batch)
        rows = ragged_rows(batch)
        if rows is not None:  # an object array of token lists: a row is a document
            yield from (np.asarray(row, dtype=object).reshape(-1) for row in rows)
        elif batch.ndim <= 1:
            yield batch.reshape(-1)
        else:
            yield from batch.reshape(len(batch), -1)


def ragged_rows(inputs):
    """The rows of a ragged batch (a list, or an object array, of token sequences whose
    lengths differ; Keras takes a ``tf.RaggedTensor`` there), else None."""
    ragged = isinstance(inputs, (list, tuple)) or (
        isinstance(inputs, np.ndarray) and inputs.dtype == object and inputs.ndim == 1
    )
    if not ragged or len(inputs) == 0:
        return None
    rows = list(inputs)
    if not all(isinstance(row, (list, tuple, np.ndarray)) for row in rows):
        return None
    return rows if len({len(row) for row in rows}) > 1 or isinstance(inputs, np.ndarray) else None


class Frequencies:
    """Token counts over all documents, and how many documents hold each token."""

    def __init__(self, parse):
        self.parse, self.counts, self.holding, self.documents = parse, Counter(), Counter(), 0

    def add(self, document) -> None:
        tokens = [self.parse(t) for t in np.asarray(document).ravel().tolist()]
        self.counts.update(tokens)
        self.holding.update(set(tokens))
        self.documents += 1

    def weights(self, vocabulary, specials: int, total=None) -> np.ndarray:
        """The IDF weight of each slot: ``specials`` OOV slots first, then ``vocabulary``."""
        known = np.array(
            [np.log(1 + self.documents / (1 + self.holding[t])) for t in vocabulary],
            np.float32,
        )
        return pad(known, specials, total)


def pad(weights, specials: int, total=None) -> np.ndarray:
    """``weights`` of the vocabulary with ``specials`` leading slots at their mean (Keras has
    no document frequency for the OOV tokens) and zeros up to ``total`` slots."""
    weights = np.asarray(weights, np.float32)
    mean = np.float32(weights.mean()) if weights.size else np.float32(0)
    back = 0 if total is None else max(0, total - specials - len(weights))
    return np.concatenate(
        [np.full(specials, mean, np.float32), weights, np.zeros(back, np.float32)]
    )
