"""Oracle: MultiHeadAttention against real Keras (jax backend) with shared weights: equal
weight names, shapes and order, equal outputs and attention scores."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

CASES = [
    (dict(num_heads=2, key_dim=3), (2, 4, 5), (2, 6, 7), None, {}),
    (
        dict(num_heads=2, key_dim=2, value_dim=3, output_shape=(2, 3)),
        (2, 4, 5),
        (2, 4, 5),
        None,
        {},
    ),
    (dict(num_heads=1, key_dim=4, use_bias=False), (2, 4, 5), (2, 4, 5), (2, 4, 3), {}),
    (dict(num_heads=2, key_dim=3, use_gate=True), (2, 4, 5), (2, 6, 7), None, {}),
    (dict(num_heads=2, key_dim=3), (2, 5, 4), (2, 5, 4), None, dict(use_causal_mask=True)),
    (dict(num_heads=2, key_dim=3), (2, 4, 5), (2, 6, 5), None, dict(attention_mask=True)),
    (dict(num_heads=2, key_dim=2, attention_axes=2), (2, 3, 4, 5), (2, 3, 6, 5), None, {}),
    (dict(num_heads=2, key_dim=3, sliding_window=2), (2, 5, 4), (2, 5, 4), None, {}),
]


@pytest.mark.parametrize("kwargs,q_shape,v_shape,k_shape,call", CASES)
def test_multi_head_attention_matches_keras(kwargs, q_shape, v_shape, k_shape, call):
    rng = np.random.default_rng(0)
    q = rng.standard_normal(q_shape).astype(np.float32)
    v = rng.standard_normal(v_shape).astype(np.float32)
    k = None if k_shape is None else rng.standard_normal(k_shape).astype(np.float32)
    call = dict(call)
    if call.get("attention_mask"):
        mask = rng.random((q_shape[0], q_shape[1], v_shape[1])) > 0.4
        mask[..., 0] = True
        call["attention_mask"] = mask
    ours = kgraph.layers.MultiHeadAttention(**kwargs)
    got = ours(q, v, k, return_attention_scores=True, **call)
    weights = [rng.uniform(-1.0, 1.0, w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    got = ours(q, v, k, return_attention_scores=True, **call)
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    theirs(q, v, k, return_attention_scores=True)  # its fused path fails for value_dim != key_dim
    assert [tuple(w.shape) for w in theirs.weights] == [w.shape for w in weights]
    assert ["/".join(w.path.split("/")[-2:]) for w in theirs.weights] == [
        "/".join(w.path.split("/")[-2:]) for w in ours.weights
    ]
    theirs.set_weights(weights)
    want = theirs(q, v, k, return_attention_scores=True, **call)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    keys = ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate")
    keys += ("output_shape", "sliding_window", "seed")
    config, expected = ours.get_config(), theirs.get_config()
    assert set(expected) <= set(config)
    assert {key: config[key] for key in keys} == {key: expected[key] for key in keys}


ATTENTION_CASES = [
    ("Attention", {}, {}),
    ("Attention", dict(use_scale=True, score_mode="concat"), {}),
    ("Attention", dict(use_scale=True), dict(use_causal_mask=True, mask=True)),
    ("AdditiveAttention", {}, dict(mask=True)),
    ("AdditiveAttention", dict(use_scale=False), dict(use_causal_mask=True)),
]


@pytest.mark.parametrize("name,kwargs,call", ATTENTION_CASES)
def test_attention_matches_keras(name, kwargs, call):
    rng = np.random.default_rng(1)
    q, v, k = (rng.standard_normal((2, 4, 3)).astype(np.float32) for _ in range(3))
    call = dict(call)
    if call.pop("mask", False):
        call["mask"] = [rng.random((2, 4)) > 0.3, np.array([[1, 0, 1, 1], [1, 1, 0, 1]], bool)]
    ours = getattr(kgraph.layers, name)(**kwargs)
    ours.build([q.shape, v.shape, k.shape])
    weights = [rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build([q.shape, v.shape, k.shape])
    assert [w.path.split("/")[-1] for w in theirs.weights] == [
        w.path.split("/")[-1] for w in ours.weights
    ]
    theirs.set_weights(weights)
    got = ours([q, v, k], return_attention_scores=True, **call)
    want = theirs([q, v, k], return_attention_scores=True, **call)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    assert ours.get_config() == {**theirs.get_config(), "name": ours.name, "dtype": "float32"}


GQA_CASES = [
    (dict(head_dim=2, num_query_heads=4, num_key_value_heads=2), (2, 4, 5), (2, 6, 5), {}),
    (
        dict(head_dim=3, num_query_heads=2, num_key_value_heads=1, use_gate=True),
        (2, 4, 5),
        (2, 4, 5),
        {},
    ),
    (
        dict(head_dim=2, num_query_heads=2, num_key_value_heads=2, use_bias=False),
        (2, 5, 3),
        (2, 5, 3),
        dict(use_causal_mask=True),
    ),
    (
        dict(head_dim=2, num_query_heads=4, num_key_value_heads=1, sliding_window=2),
        (2, 5, 3),
        (2, 5, 3),
        dict(use_causal_mask=True),
    ),
]


@pytest.mark.parametrize("kwargs,q_shape,v_shape,call", GQA_CASES)
def test_group_query_attention_matches_keras(kwargs, q_shape, v_shape, call):
    rng = np.random.default_rng(2)
    q = rng.standard_normal(q_shape).astype(np.float32)
    v = rng.standard_normal(v_shape).astype(np.float32)
    ours = kgraph.layers.GroupQueryAttention(**kwargs)
    ours(q, v)
    weights = [rng.uniform(-1.0, 1.0, w.shape).astype(np.float32) for w in ours.weights]
    ours.set_weights(weights)
    theirs = keras.layers.GroupQueryAttention(**kwargs)
    theirs(q, v)
    assert ["/".join(w.path.split("/")[-2:]) for w in theirs.weights] == [
        "/".join(w.path.split("/")[-2:]) for w in ours.weights
    ]
    assert [tuple(w.shape) for w in theirs.weights] == [w.shape for w in weights]
    theirs.set_weights(weights)
    got = ours(q, v, return_attention_scores=True, **call)
    want = theirs(q, v, return_attention_scores=True, **call)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
    config, expected = ours.get_config(), theirs.get_config()
    keys = ("head_dim", "num_query_heads", "num_key_value_heads", "use_bias", "use_gate")
    keys += ("sliding_window", "dropout", "seed")
    assert set(expected) <= set(config)
    assert {key: config[key] for key in keys} == {key: expected[key] for key in keys}


def _attention_model(lib, with_gqa):
    q, k = lib.Input((4, 6)), lib.Input((4, 3))
    h = lib.layers.MultiHeadAttention(2, 3, use_gate=True, dropout=0.1)(q, q)
    if with_gqa:
        h = lib.layers.GroupQueryAttention(2, 2, 1, use_gate=True)(h, h)
    h2 = lib.layers.MultiHeadAttention(2, 3)(h, h, k)
    h = lib.layers.AdditiveAttention()([h, h2])
    h = lib.layers.Attention(use_scale=True, score_mode="concat")([h, h])
    return lib.Model([q, k], h)


def test_keras_files_cross_both_ways(tmp_path):
    rng = np.random.default_rng(3)
    x = [rng.random((2, 4, 6), np.float32), rng.random((2, 4, 3), np.float32)]
    theirs = _attention_model(keras, with_gqa=True)
    theirs.save(tmp_path / "keras.keras")
    loaded = kgraph.saving.load_model(tmp_path / "keras.keras")
    want = np.asarray(theirs(x))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    ours = _attention_model(kgraph, with_gqa=True)
    ours.save(tmp_path / "kgraph.keras")
    back = keras.saving.load_model(tmp_path / "kgraph.keras")
    want = ours.predict(x, verbose=0)
    np.testing.assert_allclose(np.asarray(back(x)), want, rtol=1e-5, atol=1e-6)
