"""``Dot`` against ``numpy.einsum`` (Keras' batch_dot semantics)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test


def _unit(x, axis):
    return x / np.maximum(np.sqrt((x * x).sum(axis, keepdims=True)), 1e-7)


@pytest.mark.parametrize(
    "axes, shapes, out, equation",
    [
        (1, [(2, 4), (2, 4)], (2, 1), "bi,bi->b"),
        ((2, 2), [(2, 3, 4), (2, 5, 4)], (2, 3, 5), "bik,bjk->bij"),
        ((1, 1), [(2, 3, 4), (2, 3, 5)], (2, 4, 5), "bki,bkj->bij"),
        (-1, [(2, 3, 4), (2, 4)], (2, 3), "bik,bk->bi"),
    ],
)
@pytest.mark.parametrize("normalize", [False, True])
def test_dot(axes, shapes, out, equation, normalize):
    def reference(xs, w):
        a, b = xs
        if normalize:
            ax = axes if isinstance(axes, int) else axes[0]
            bx = axes if isinstance(axes, int) else axes[1]
            a, b = _unit(a, ax), _unit(b, bx)
        y = np.einsum(equation, a, b)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    run_layer_test(layers.Dot, dict(axes=axes, normalize=normalize), shapes, out, reference)


def test_dot_functional_and_errors():
    a, b = kgraph.Input((3,)), kgraph.Input((4,))
    with pytest.raises(ValueError, match="Incompatible"):
        layers.dot([a, b], axes=1)
    with pytest.raises(ValueError, match="axes"):  # Keras: a ValueError for a bad list
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError, match="axes"):  # and a TypeError for a bad type
        layers.Dot(axes="1")


def test_dot_of_sequences_with_unknown_lengths_trains():
    """Similarity matrices of two token sequences whose lengths are None (an Embedding on
    ``Input((None,))``): built and differentiated without static sizes."""
    a, b = kgraph.Input((None,), dtype="int32"), kgraph.Input((None,), dtype="int32")
    embedding = layers.Embedding(10, 4)
    sims = layers.Dot(axes=(2, 2))([embedding(a), embedding(b)])
    assert sims.shape == (None, None, None)
    model = kgraph.Model([a, b], layers.GlobalAveragePooling1D()(sims))
    ids_a = np.array([[1, 2, 3], [4, 5, 6]])
    ids_b = np.array([[7, 8, 9, 1, 2], [3, 4, 5, 6, 7]])
    table = embedding.get_weights()[0]
    want = np.einsum("bik,bjk->bij", table[ids_a], table[ids_b]).mean(1)
    np.testing.assert_allclose(model.predict([ids_a, ids_b], verbose=0), want, rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit([ids_a, ids_b], np.ones((2, 5)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
