"""GroupQueryAttention against a numpy reference written here: grouped key/value heads,
masks (causal, explicit, sliding window), config round trip, export, a training step."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.layers import GroupQueryAttention
from tests.harness import run_layer_test


class ListGQA(GroupQueryAttention):
    """Takes ``[query, value(, key)]`` as one list, for ``run_layer_test``."""

    def call(self, inputs, training=None):
        return super().call(*inputs, training=training)

    def compute_output_shape(self, shapes):
        return super().compute_output_shape(*shapes)


def reference(q, v, k, w, head_dim, groups, keep=None, use_bias=True):
    """Keras' GQA in float64 numpy; ``w`` in Keras' weight order, no gate."""
    w = [np.asarray(a, np.float64) for a in w]
    step = 2 if use_bias else 1
    p = {n: w[i * step : i * step + step] for i, n in enumerate("qkvo")}

    def proj(x, n, eq):
        y = np.einsum(eq, x, p[n][0])
        return y + p[n][1] if use_bias else y

    qp = proj(q, "q", "btd,dnh->btnh") / np.sqrt(head_dim)
    kp = np.repeat(proj(k, "k", "bsd,dnh->bsnh"), groups, axis=2)
    vp = np.repeat(proj(v, "v", "bsd,dnh->bsnh"), groups, axis=2)
    scores = np.einsum("btnh,bsnh->bnts", qp, kp)
    if keep is not None:
        scores = scores + (1.0 - keep[:, None].astype(np.float64)) * -1e9
    e = np.exp(scores - scores.max(-1, keepdims=True))
    probs = e / e.sum(-1, keepdims=True)
    return proj(np.einsum("bnts,bsnh->btnh", probs, vp), "o", "btnh,nhd->btd"), probs


@pytest.mark.parametrize(
    "kwargs,shapes",
    [
        (dict(head_dim=2, num_query_heads=4, num_key_value_heads=2), [(2, 3, 5), (2, 4, 5)]),
        (
            dict(head_dim=3, num_query_heads=2, num_key_value_heads=1, use_bias=False),
            [(2, 3, 4)] * 3,
        ),
    ],
)
def test_grouped_query_attention(kwargs, shapes):
    groups = kwargs["num_query_heads"] // kwargs["num_key_value_heads"]

    def ref(x, w):
        q, v, k = (*x, x[1]) if len(x) == 2 else x
        return reference(
            q, v, k, w, kwargs["head_dim"], groups, use_bias=kwargs.get("use_bias", True)
        )[0]

    run_layer_test(ListGQA, kwargs, shapes, shapes[0], ref)


def test_masks_window_and_scores():
    rng = np.random.default_rng(5)
    q, v = rng.standard_normal((2, 5, 3), np.float32), rng.standard_normal((2, 5, 3), np.float32)
    layer = GroupQueryAttention(
        head_dim=2, num_query_heads=2, num_key_value_heads=1, sliding_window=2
    )
    v_mask = np.array([[1, 1, 1, 0, 1], [1, 1, 1, 1, 0]], bool)
    out, probs = layer(q, v, value_mask=v_mask, use_causal_mask=True, return_attention_scores=True)
    i, j = np.arange(5)[:, None], np.arange(5)[None]
    keep = v_mask[:, None, :] & (j <= i) & (np.abs(i - j) < 2)
    want = reference(q, v, v, layer.get_weights(), 2, 2, keep)
    np.testing.assert_allclose(np.asarray(out), want[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(probs), want[1], rtol=1e-4, atol=1e-6)


def test_training_step():
    x = np.random.default_rng(6).standard_normal((16, 4, 3)).astype(np.float32)
    inputs = kgraph.Input((4, 3))
    layer = GroupQueryAttention(2, 2, 1, dropout=0.1, seed=0)
    out = kgraph.layers.Dense(1)(kgraph.layers.Flatten()(layer(inputs, inputs)))
    model = kgraph.Model(inputs, out)
    model.compile(optimizer=kgraph.optimizers.Adam(0.02), loss="mse")
    before = layer.get_weights()[0].copy()
    history = model.fit(x, x[:, :, :1].sum(1), epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.allclose(before, layer.get_weights()[0])


def test_invalid_arguments():
    with pytest.raises(ValueError, match="divisible"):
        GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="sliding_window=0"):
        GroupQueryAttention(2, 2, 1, sliding_window=0)
    with pytest.raises(ValueError, match="last dimension"):
        GroupQueryAttention(2, 2, 1)(kgraph.Input((3, 4)), kgraph.Input((3, 5)))


def test_sliding_window_with_unknown_sequence_length():
    inputs = kgraph.Input((None, 3))
    layer = GroupQueryAttention(2, 2, 1, sliding_window=2)
    model = kgraph.Model(inputs, layer(inputs, inputs, use_causal_mask=True))
    x = np.random.default_rng(9).standard_normal((2, 5, 3)).astype(np.float32)
    i, j = np.arange(5)[:, None], np.arange(5)[None]
    keep = np.broadcast_to((j <= i) & (np.abs(i - j) < 2), (2, 5, 5))
    want = reference(x, x, x, layer.get_weights(), 2, 2, keep)[0]
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-5)
