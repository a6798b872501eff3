"""``Embedding`` as Keras 1/2-era programs call it: ``input_length`` (warned about and ignored,
as Keras 3 does) and a pre-trained table given as ``weights`` or a ``Constant`` initializer."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers


def test_input_length_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="`input_length` is deprecated"):
        layer = layers.Embedding(10, 3, input_length=5)
    assert "input_length" not in layer.get_config()
    ids = np.array([[1, 2, 3, 4, 5, 6, 7]])  # any length still works
    table = layer(ids)
    np.testing.assert_allclose(np.asarray(table), layer.get_weights()[0][ids], rtol=1e-6)


def test_pretrained_table_as_weights_or_constant_stays_frozen():
    matrix = np.random.default_rng(0).normal(size=(6, 2)).astype("float32")
    inputs = kgraph.Input((None,), dtype="int32")
    frozen = layers.Embedding(6, 2, weights=[matrix], trainable=False)
    const = layers.Embedding(6, 2, embeddings_initializer=kgraph.initializers.Constant(matrix))
    model = kgraph.Model(inputs, layers.Add()([frozen(inputs), const(inputs)]))
    ids = np.array([[0, 5, 2]])
    np.testing.assert_allclose(model.predict(ids, verbose=0), 2 * matrix[ids], rtol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(ids, np.ones((1, 3, 2)), epochs=2, verbose=0)
    np.testing.assert_array_equal(frozen.get_weights()[0], matrix)
    assert not np.allclose(const.get_weights()[0][ids[0]], matrix[ids[0]])
