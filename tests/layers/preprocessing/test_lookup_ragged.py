"""Lookups over rows of different lengths, as keras.io's multi-label text classification
binarizes its lists of subject terms (Keras takes a ``tf.RaggedTensor``; kgraph a list, or an
object array, of lists): each row is one document to ``adapt`` and one sample to encode."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import layers

TERMS = [["cs.LG", "stat.ML"], ["cs.CV"], ["cs.LG", "cs.CV", "cs.AI"], ["cs.LG"]]


def multi_hot(rows, vocabulary):
    out = np.zeros((len(rows), len(vocabulary)), np.float32)
    for i, row in enumerate(rows):
        for token in row:
            out[i, vocabulary.index(token) if token in vocabulary else 0] = 1
    return out


@pytest.mark.parametrize("as_array", [False, True])
def test_string_lookup_multi_hot_of_term_lists(as_array):
    terms = np.array(TERMS, dtype=object) if as_array else TERMS
    lookup = layers.StringLookup(output_mode="multi_hot")
    lookup.adapt(terms)
    vocabulary = lookup.get_vocabulary()
    # by count (cs.LG 3, cs.CV 2), ties larger first
    assert vocabulary == ["[UNK]", "cs.LG", "cs.CV", "stat.ML", "cs.AI"]
    np.testing.assert_array_equal(lookup(terms), multi_hot(TERMS, vocabulary))
    unseen = [["cs.LG", "math.ST"], ["cs.AI"]]
    np.testing.assert_array_equal(lookup(unseen), multi_hot(unseen, vocabulary))


def test_integer_lookup_counts_and_tf_idf_of_ragged_rows():
    rows = [[1, 2], [2], [3, 2, 2]]
    counts = layers.IntegerLookup(output_mode="count")
    counts.adapt(rows)
    assert counts.get_vocabulary() == [-1, 2, 3, 1]
    np.testing.assert_array_equal(
        counts([[1, 2], [2, 2, 2], [7]]), [[0, 1, 0, 1], [0, 3, 0, 0], [1, 0, 0, 0]]
    )
    tf_idf = layers.IntegerLookup(output_mode="tf_idf")
    tf_idf.adapt(rows)
    # idf = log(1 + documents / (1 + documents holding the token)): 2 is in all 3 rows
    got = np.asarray(tf_idf([[2, 2], [3]]))
    np.testing.assert_allclose(got[0, 1], 2 * np.log(1 + 3 / 4), rtol=1e-6)
    np.testing.assert_allclose(got[1, 2], np.log(1 + 3 / 2), rtol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(), dict(output_mode="one_hot"), dict(invert=True)])
def test_ragged_rows_need_an_encoding_of_one_row_per_sample(kwargs):
    layer = layers.IntegerLookup(vocabulary=[1, 2], **kwargs)
    with pytest.raises(ValueError, match="pad them first"):
        layer([[1], [1, 2]])
