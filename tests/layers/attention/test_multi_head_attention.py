"""MultiHeadAttention against a numpy reference written here: projections, scaled dot-product
attention with masks, output projection; config round trip, export, training."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.layers import MultiHeadAttention
from tests.harness import run_layer_test


class ListMHA(MultiHeadAttention):
    """Takes ``[query, value(, key)]`` as one list, for ``run_layer_test``."""

    def call(self, inputs, training=None):
        return super().call(*inputs, training=training)

    def compute_output_shape(self, shapes):
        return super().compute_output_shape(*shapes)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference(q, v, k, w, key_dim, mask=None, use_bias=True, gate=False, zero_masked=False):
    """Keras' MHA in float64 numpy, rank-3 inputs; ``w`` in Keras' weight order. Masked
    scores become -1e9 (a fully masked row averages every key, as Keras' fused JAX path);
    ``zero_masked`` zeroes the masked probabilities, as its masked Softmax path."""
    w = [np.asarray(a, np.float64) for a in w]
    step = 2 if use_bias else 1
    kinds = ["q", "k", "g", "v", "o"] if gate else ["q", "k", "v", "o"]
    p = {n: w[i * step : i * step + step] for i, n in enumerate(kinds)}

    def proj(x, n, eq):
        y = np.einsum(eq, x, p[n][0])
        return y + p[n][1] if use_bias else y

    qp = proj(q, "q", "btd,dnh->btnh") / np.sqrt(key_dim)
    kp, vp = proj(k, "k", "bsd,dnh->bsnh"), proj(v, "v", "bsd,dnh->bsnh")
    scores = np.einsum("bsnh,btnh->bnts", kp, qp)
    if mask is not None:
        scores = np.where(mask[:, None], scores, -1e9)
    probs = _softmax(scores)
    if zero_masked and mask is not None:
        probs = probs * mask[:, None]
    out = np.einsum("bnts,bsnh->btnh", probs, vp)
    if gate:
        out = out / (1 + np.exp(-proj(q, "g", "btd,dnh->btnh")))
    return proj(out, "o", "btnh,nhd->btd"), probs


@pytest.mark.parametrize(
    "kwargs,shapes,out_shape",
    [
        (dict(num_heads=2, key_dim=3), [(2, 4, 5), (2, 6, 7)], (2, 4, 5)),
        (dict(num_heads=1, key_dim=2, use_bias=False), [(2, 3, 4), (2, 3, 4)], (2, 3, 4)),
        (dict(num_heads=2, key_dim=2, value_dim=3, output_shape=6), [(2, 3, 4)] * 2, (2, 3, 6)),
        (dict(num_heads=2, key_dim=3, use_gate=True), [(1, 4, 5), (1, 6, 7)], (1, 4, 5)),
        (dict(num_heads=2, key_dim=3), [(2, 4, 5), (2, 6, 7), (2, 6, 3)], (2, 4, 5)),
    ],
)
def test_multi_head_attention(kwargs, shapes, out_shape):
    def ref(x, w):
        q, v, k = (*x, x[1]) if len(x) == 2 else x
        use_bias, gate = kwargs.get("use_bias", True), kwargs.get("use_gate", False)
        return reference(q, v, k, w, kwargs["key_dim"], use_bias=use_bias, gate=gate)[0]

    n = 1 if kwargs.get("use_bias") is False else 2
    weights = n * (5 if kwargs.get("use_gate") else 4)
    run_layer_test(ListMHA, kwargs, shapes, out_shape, ref, expected_num_trainable_weights=weights)


def _masked_model(**call_kwargs):
    q, v = kgraph.Input((4, 3)), kgraph.Input((5, 3))
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    if "attention_mask" in call_kwargs:
        m = kgraph.Input((4, 5), dtype="bool")
        out = layer(q, v, attention_mask=m, return_attention_scores=True)
        return kgraph.Model([q, v, m], list(out)), layer
    out = layer(q, v, return_attention_scores=True, **call_kwargs)
    return kgraph.Model([q, v], list(out)), layer


@pytest.mark.parametrize("kind", ["attention_mask", "use_causal_mask"])
def test_masks_and_scores(kind):
    rng = np.random.default_rng(1)
    q, v = rng.standard_normal((2, 4, 3), np.float32), rng.standard_normal((2, 5, 3), np.float32)
    if kind == "attention_mask":
        mask = rng.random((2, 4, 5)) > 0.4
        mask[:, :, 0] = True
        model, layer = _masked_model(attention_mask=True)
        got = model.predict([q, v, mask], verbose=0)
    else:
        mask = np.broadcast_to(np.tril(np.ones((4, 5), bool)), (2, 4, 5))
        model, layer = _masked_model(use_causal_mask=True)
        got = model.predict([q, v], verbose=0)
    out, probs = reference(q, v, v, layer.get_weights(), 2, mask=mask)
    np.testing.assert_allclose(got[0], out, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[1], probs, rtol=1e-4, atol=1e-6)
    assert (got[1][np.broadcast_to(~mask[:, None], got[1].shape)] == 0).all()


def test_dropout_only_in_training_and_training_step():
    x = np.random.default_rng(2).standard_normal((16, 4, 3)).astype(np.float32)
    y = x[:, :, :1].sum(1)
    inputs = kgraph.Input((4, 3))
    layer = MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.5, seed=1)
    hidden = layer(inputs, inputs)
    model = kgraph.Model(inputs, kgraph.layers.Dense(1)(kgraph.layers.Flatten()(hidden)))
    want = reference(x, x, x, layer.get_weights(), 4)[0]
    np.testing.assert_allclose(np.asarray(layer(x, x)), want, rtol=1e-4, atol=1e-5)
    train = np.asarray(layer(x, x, training=True))
    assert not np.allclose(train, want, atol=1e-3)
    layer.dropout_layer.rate = 0.1  # less noise, so that the loss falls in a few steps
    model.compile(optimizer=kgraph.optimizers.Adam(0.02), loss="mse")
    before = [w.copy() for w in layer.get_weights()]
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    after = layer.get_weights()
    for i in (0, 2, 4, 6):  # kernels (the key bias alone gets no gradient: softmax shift)
        assert not np.allclose(before[i], after[i])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(num_heads=0, key_dim=2), "num_heads=0"),
        (dict(num_heads=2, key_dim=-1), "key_dim=-1"),
        (dict(num_heads=2, key_dim=2, value_dim="a"), "value_dim=a"),
        (dict(num_heads=2, key_dim=2, attention_axes=(1, 2)), "attention_axes"),
        (dict(num_heads=2, key_dim=2, sliding_window=0), "sliding_window=0"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_key_value_shape_mismatch():
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    with pytest.raises(ValueError, match="value_shape"):
        layer(kgraph.Input((4, 3)), kgraph.Input((5, 3)), kgraph.Input((6, 3)))


def test_causal_mask_with_unknown_sequence_length():
    inputs = kgraph.Input((None, 3))
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    model = kgraph.Model(inputs, layer(inputs, inputs, use_causal_mask=True))
    x = np.random.default_rng(7).standard_normal((2, 5, 3)).astype(np.float32)
    keep = np.broadcast_to(np.tril(np.ones((5, 5), bool)), (2, 5, 5))
    want = reference(x, x, x, layer.get_weights(), 2, mask=keep)[0]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-5)


def test_query_mask_is_the_query_tensors_own():
    """Keras' MultiHeadAttention reads the query's mask from the query tensor: an explicit
    ``query_mask`` on an unmasked query changes nothing, an Embedding's mask on it does (a
    fully masked query row averages every value, or, with scores returned, attends to none)."""
    rng = np.random.default_rng(4)
    ids = np.array([[3, 1, 2, 0], [4, 0, 0, 0]])
    v = rng.standard_normal((2, 5, 3)).astype(np.float32)
    layer = MultiHeadAttention(num_heads=2, key_dim=2)
    q = rng.standard_normal((2, 4, 3)).astype(np.float32)
    plain = np.asarray(layer(q, v))
    ignored = np.asarray(layer(q, v, query_mask=ids != 0))
    np.testing.assert_allclose(ignored, plain, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(plain, reference(q, v, v, layer.get_weights(), 2)[0], atol=1e-5)
    tokens, values = kgraph.Input((4,), dtype="int32"), kgraph.Input((5, 3))
    embedding = kgraph.layers.Embedding(5, 3, mask_zero=True)
    embedded = embedding(tokens)
    fused = kgraph.Model([tokens, values], layer(embedded, values))
    scored = kgraph.Model(
        [tokens, values], list(layer(embedded, values, return_attention_scores=True))
    )
    rows = np.broadcast_to((ids != 0)[:, :, None], (2, 4, 5))
    query = embedding.get_weights()[0][ids]
    want = reference(query, v, v, layer.get_weights(), 2, mask=rows)[0]
    np.testing.assert_allclose(fused.predict([ids, v], verbose=0), want, rtol=1e-4, atol=1e-5)
    want, probs = reference(query, v, v, layer.get_weights(), 2, mask=rows, zero_masked=True)
    got, got_probs = scored.predict([ids, v], verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_probs, probs, rtol=1e-4, atol=1e-6)
    assert (got_probs[1, :, 1:] == 0).all()
