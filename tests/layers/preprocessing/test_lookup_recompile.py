"""A vocabulary set after a model has run (``set_vocabulary``, ``adapt``) reaches the model's
compiled graphs: the vocabulary is compiled into them, so changing it marks them stale."""

from __future__ import annotations

import numpy as np

import kgraph
from kgraph import layers


def test_string_lookup_set_vocabulary_after_predict():
    lookup = layers.StringLookup(vocabulary=["a", "b"])
    inputs = kgraph.Input((1,), dtype="string")
    model = kgraph.Model(inputs, lookup(inputs))
    x = np.array([["a"], ["b"], ["c"]])
    np.testing.assert_array_equal(model.predict(x, verbose=0).ravel(), [1, 2, 0])
    lookup.set_vocabulary(["c", "b", "a"])
    np.testing.assert_array_equal(model.predict(x, verbose=0).ravel(), [3, 2, 1])


def test_text_vectorization_adapt_after_predict():
    vectorize = layers.TextVectorization(output_sequence_length=3)
    vectorize.adapt(np.array(["red red blue"]))
    inputs = kgraph.Input((1,), dtype="string")
    model = kgraph.Model(inputs, vectorize(inputs))
    x = np.array([["blue red green"]])
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[3, 2, 1]])
    vectorize.adapt(np.array(["green green green blue"]))  # green 2, blue 3, red OOV
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[3, 1, 2]])
