"""Attention and AdditiveAttention against numpy references written here: dot, scaled and
concat scores, value/query masks, causal masks, dropout in training only, a training step."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.layers import AdditiveAttention, Attention
from tests.harness import run_layer_test


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference(kind, x, w, use_scale, q_mask=None, keep=None):
    """Keras' Attention/AdditiveAttention in float64; ``keep`` is a ``(B or 1, Tq, Tv)`` mask."""
    q, v = (np.asarray(a, np.float64) for a in x[:2])
    k = np.asarray(x[2], np.float64) if len(x) > 2 else v
    w = [np.asarray(a, np.float64) for a in w]
    scale = w[0] if use_scale else 1.0
    pairs = q[:, :, None, :] + k[:, None, :, :]
    if kind == "dot":
        scores = q @ k.transpose(0, 2, 1) * scale
    elif kind == "concat":
        scores = w[-1] * np.tanh(scale * pairs).sum(-1)
    else:
        scores = (scale * np.tanh(pairs)).sum(-1)
    if keep is not None:
        scores = np.where(keep, scores, scores - 1e9)
    probs = _softmax(scores)
    out = probs @ v
    return out if q_mask is None else np.where(q_mask[..., None], out, 0.0), probs


CASES = [
    (Attention, {}, "dot", False, 0),
    (Attention, dict(use_scale=True), "dot", True, 1),
    (Attention, dict(score_mode="concat"), "concat", False, 1),
    (Attention, dict(score_mode="concat", use_scale=True), "concat", True, 2),
    (AdditiveAttention, {}, "additive", True, 1),
    (AdditiveAttention, dict(use_scale=False), "additive", False, 0),
]


@pytest.mark.parametrize("cls,kwargs,kind,use_scale,n_weights", CASES)
@pytest.mark.parametrize("with_key", [False, True])
def test_attention_layers(cls, kwargs, kind, use_scale, n_weights, with_key):
    shapes = [(2, 3, 4), (2, 5, 4)] + ([(2, 5, 4)] if with_key else [])
    run_layer_test(
        cls,
        kwargs,
        shapes,
        (2, 3, 4),
        lambda x, w: reference(kind, x, w, use_scale)[0],
        expected_num_trainable_weights=n_weights,
    )


@pytest.mark.parametrize("cls,kind", [(Attention, "dot"), (AdditiveAttention, "additive")])
def test_masks_causal_and_scores(cls, kind):
    rng = np.random.default_rng(3)
    q, v = rng.standard_normal((2, 4, 3), np.float32), rng.standard_normal((2, 4, 3), np.float32)
    q_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    v_mask = np.array([[1, 1, 0, 1], [1, 0, 1, 1]], bool)
    layer = cls()
    got = layer([q, v], mask=[q_mask, v_mask], return_attention_scores=True, use_causal_mask=True)
    keep = v_mask[:, None, :] & np.tril(np.ones((4, 4), bool))[None]
    want = reference(kind, [q, v], layer.get_weights(), cls is AdditiveAttention, q_mask, keep)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-5, atol=1e-6)
    assert (np.asarray(got[1])[~np.broadcast_to(keep, (2, 4, 4))] == 0).all()


def test_dropout_in_training_only_and_training_step():
    x = np.random.default_rng(4).standard_normal((16, 4, 3)).astype(np.float32)
    y = x[:, :, :1].sum(1)
    inputs = kgraph.Input((4, 3))
    layer = AdditiveAttention(dropout=0.5, seed=2)
    hidden = layer([inputs, inputs])
    want = reference("additive", [x, x], layer.get_weights(), True)[0]
    np.testing.assert_allclose(np.asarray(layer([x, x])), want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.asarray(layer([x, x], training=True)), want, atol=1e-3)
    model = kgraph.Model(inputs, kgraph.layers.Dense(1)(kgraph.layers.Flatten()(hidden)))
    model.compile(optimizer=kgraph.optimizers.Adam(0.02), loss="mse")
    before = layer.get_weights()[0].copy()
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(before, layer.get_weights()[0])


def test_invalid_arguments():
    with pytest.raises(ValueError, match="score_mode=add"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match="list of inputs"):
        Attention()(kgraph.Input((3, 4)))
    with pytest.raises(ValueError, match="Received length: 1"):
        AdditiveAttention()([kgraph.Input((3, 4))])


def test_causal_mask_with_unknown_sequence_length():
    inputs = kgraph.Input((None, 3))
    model = kgraph.Model(inputs, Attention()([inputs, inputs], use_causal_mask=True))
    x = np.random.default_rng(8).standard_normal((2, 5, 3)).astype(np.float32)
    keep = np.tril(np.ones((5, 5), bool))[None]
    want = reference("dot", [x, x], [], False, keep=keep)[0]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
