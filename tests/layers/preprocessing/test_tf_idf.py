"""``output_mode="tf_idf"`` of StringLookup, IntegerLookup and TextVectorization: counts times
``log(1 + documents / (1 + documents holding the token))``, OOV slots at the vocabulary's mean
weight, eagerly and compiled, against numpy and Keras' documented values."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers


def test_given_weights_as_keras_documents_them():
    """keras.layers.StringLookup's docstring example (OOV weight: the mean, 0.5)."""
    layer = layers.StringLookup(
        output_mode="tf_idf", vocabulary=["a", "b", "c", "d"], idf_weights=[0.25, 0.75, 0.6, 0.4]
    )
    got = layer(np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]]))
    want = [[0.0, 0.25, 0.0, 0.6, 0.8], [1.0, 0.0, 0.75, 0.0, 0.4]]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def _idf(documents, vocabulary):
    count = len(documents)
    return np.array([np.log(1 + count / (1 + sum(t in d for d in documents))) for t in vocabulary])


def test_adapt_learns_document_frequencies():
    rows = np.array([[1, 2, 1], [2, 3, 3], [4, 2, 2]])
    layer = layers.IntegerLookup(output_mode="tf_idf")
    layer.adapt(rows)  # each row is a document
    vocabulary = layer.get_vocabulary()[1:]
    weights = _idf([set(r) for r in rows.tolist()], vocabulary)
    slots = np.concatenate([[weights.mean()], weights]).astype(np.float32)
    x = np.array([[2, 2, 9]])
    counts = np.zeros(len(slots))
    for token in x[0]:
        counts[vocabulary.index(token) + 1 if token in vocabulary else 0] += 1
    np.testing.assert_allclose(layer(x), [counts * slots], rtol=1e-6)
    rebuilt = layers.IntegerLookup.from_config(layer.get_config())
    np.testing.assert_allclose(rebuilt(x), layer(x), rtol=1e-6)


def test_text_vectorization_tf_idf_eager_compiled_and_padded():
    texts = np.array(["the cat sat", "the dog sat down", "a cat"], dtype=object)
    layer = layers.TextVectorization(output_mode="tf_idf", max_tokens=10, pad_to_max_tokens=True)
    layer.adapt(texts)
    vocabulary = layer.get_vocabulary()[1:]
    weights = _idf([set(t.split()) for t in texts], vocabulary)
    slots = np.zeros(10)
    slots[0], slots[1 : 1 + len(weights)] = weights.mean(), weights
    want = np.array(
        [[sum(w == t for w in text.split()) for t in ["[UNK]", *vocabulary]] for text in texts]
    )
    want = np.pad(want, ((0, 0), (0, 10 - want.shape[1]))) * slots
    np.testing.assert_allclose(layer(texts), want, rtol=1e-6)
    strings = kgraph.Input((1,), dtype="string")
    model = kgraph.Model(strings, layer(strings))
    np.testing.assert_allclose(model.predict(texts[:, None], verbose=0), want, rtol=1e-6)
    rebuilt = layers.TextVectorization.from_config(layer.get_config())
    np.testing.assert_allclose(rebuilt(texts), want, rtol=1e-6)


def test_idf_arguments_are_checked_as_keras():
    with pytest.raises(ValueError, match="`idf_weights` should only be set if `output_mode`"):
        layers.StringLookup(vocabulary=["a"], idf_weights=[1.0])
    with pytest.raises(ValueError, match="in TF-IDF output mode, the `idf_weights` argument"):
        layers.StringLookup(output_mode="tf_idf", vocabulary=["a"])
    with pytest.raises(ValueError, match="must be the same length as vocabulary"):
        layers.StringLookup(output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[1.0])
