"""Keras masks between layers (kgraph/layers/masking_support.py), against numpy: producers,
the ``mask=`` / ``<arg>_mask=`` call arguments, ``supports_masking`` and its warning, merges,
nested and Sequential models, and the loss and metrics of a model whose output is masked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kgraph
from kgraph import layers, ops
from kgraph.layers.masking_support import get_mask

RNG = np.random.default_rng(3)


def _ids():
    ids = RNG.integers(1, 9, (3, 5)).astype(np.int32)
    ids[0, 2:] = 0
    ids[1, 4:] = 0
    return ids


class Recorder(layers.Layer):
    """Keeps the masks its call received; passes its input on."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(mask)
        return inputs


class Pair(layers.Layer):
    """Two tensor arguments: masks arrive as ``query_mask`` / ``value_mask``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, query, value, query_mask=None, value_mask=None):
        self.seen.append((query_mask, value_mask))
        return ops.add(query, value)


def test_embedding_mask_zero_marks_the_nonzero_ids_eager_and_symbolic():
    ids = _ids()
    out = layers.Embedding(9, 4, mask_zero=True)(ids)
    np.testing.assert_array_equal(np.asarray(get_mask(out)), ids != 0)
    symbolic = layers.Embedding(9, 4, mask_zero=True)(kgraph.Input((5,), dtype="int32"))
    assert symbolic._keras_mask.shape == (None, 5) and symbolic._keras_mask.dtype == "bool"
    plain = layers.Embedding(9, 4)
    assert get_mask(plain(ids)) is None and not plain.supports_masking


def test_masking_zeroes_and_marks_the_padded_steps():
    x = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    x[0, 1] = 5.0
    x[1, 3] = 5.0
    x[1, 0, 0] = 5.0  # one feature only: not masked
    out = layers.Masking(mask_value=5.0)(x)
    keep = (x != 5.0).any(-1)
    np.testing.assert_array_equal(np.asarray(get_mask(out)), keep)
    np.testing.assert_allclose(np.asarray(out), x * keep[..., None])


def test_call_gets_the_input_mask_and_an_explicit_mask_wins():
    ids = _ids()
    inputs = kgraph.Input((5,), dtype="int32")
    recorder = Recorder()
    embedded = layers.Embedding(9, 4, mask_zero=True)(inputs)
    out = recorder(embedded)
    assert out._keras_mask is not None  # passed on (supports_masking)
    model = kgraph.Model(inputs, layers.GlobalAveragePooling1D()(out))
    recorder.seen.clear()
    model.predict(ids, verbose=0)  # traced: the mask is a graph value
    assert len(recorder.seen) == 1 and recorder.seen[0] is not None
    explicit = np.ones((3, 5), bool)
    recorder.seen.clear()
    recorder(layers.Embedding(9, 4, mask_zero=True)(ids), mask=explicit)
    assert recorder.seen[0] is explicit


def test_several_tensor_arguments_get_their_own_masks():
    ids = _ids()
    pair = Pair()
    masked = layers.Embedding(9, 4, mask_zero=True)(ids)
    plain = layers.Embedding(9, 4)(ids)
    pair(masked, plain)
    query_mask, value_mask = pair.seen[-1]
    np.testing.assert_array_equal(np.asarray(query_mask), ids != 0)
    assert value_mask is None
    pair(plain, masked)
    assert pair.seen[-1][0] is None and pair.seen[-1][1] is not None


def test_supports_masking_defaults_and_the_lost_mask_warning():
    class Overrides(layers.Layer):
        def call(self, inputs):
            return inputs

        def compute_mask(self, inputs, mask=None):
            return mask

    assert not layers.Layer().supports_masking and Overrides().supports_masking
    assert layers.Dense(2).supports_masking and not layers.Flatten().supports_masking
    embedded = layers.Embedding(9, 4, mask_zero=True)(kgraph.Input((5,), dtype="int32"))
    with pytest.warns(UserWarning, match="does not support masking"):
        flat = layers.Flatten()(embedded)
    assert getattr(flat, "_keras_mask", None) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert layers.Dense(3)(embedded)._keras_mask is not None
        pooled = layers.GlobalAveragePooling1D()(embedded)
        assert not hasattr(pooled, "_keras_mask")  # as a Keras tensor without a mask


def test_global_average_pooling_1d_averages_the_unmasked_steps():
    ids = _ids()
    inputs = kgraph.Input((5,), dtype="int32")
    embedding = layers.Embedding(9, 4, mask_zero=True)
    model = kgraph.Model(inputs, layers.GlobalAveragePooling1D()(embedding(inputs)))
    table = embedding.get_weights()[0]
    want = np.stack([table[row[row != 0]].mean(0) for row in ids])
    np.testing.assert_allclose(model.predict(ids, verbose=0), want, rtol=1e-6, atol=1e-7)
    eager = layers.GlobalAveragePooling1D()(embedding(ids))
    np.testing.assert_allclose(np.asarray(eager), want, rtol=1e-6, atol=1e-7)


def test_merges_combine_masks_and_mask_their_values():
    a = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    b = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    a[0, 3] = 0.0
    b[1, 0] = 0.0
    ma, mb = layers.Masking()(a), layers.Masking()(b)
    keep_a, keep_b = (a != 0).any(-1), (b != 0).any(-1)
    added = layers.Add()([ma, mb])
    np.testing.assert_array_equal(np.asarray(get_mask(added)), keep_a | keep_b)
    assert get_mask(layers.Add()([ma, b])) is None  # one input unmasked: no mask
    biggest = layers.Maximum()([ma, mb])
    # a masked step takes the other input's value, so only unmasked steps compete
    av, bv = np.where(keep_a[..., None], a, b), np.where(keep_b[..., None], b, a)
    np.testing.assert_allclose(np.asarray(biggest), np.maximum(av, bv))
    product = layers.Multiply()([ma, mb])
    want = np.where(keep_a[..., None], a, 1) * np.where(keep_b[..., None], b, 1)
    want = np.where((keep_a | keep_b)[..., None], want, 0)
    np.testing.assert_allclose(np.asarray(product), want, rtol=1e-6)
    joined = layers.Concatenate(axis=1)([ma, b])
    np.testing.assert_array_equal(
        np.asarray(get_mask(joined)), np.concatenate([keep_a, np.ones_like(keep_b)], 1)
    )
    assert get_mask(layers.Dot(axes=-1)([ma, mb])) is None


def test_masks_cross_sequential_and_nested_models():
    x = RNG.standard_normal((3, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0
    x[2, 1] = 0.0
    keep = (x != 0).any(-1)
    dense = layers.Dense(4)
    seq = kgraph.Sequential([kgraph.Input((5, 2)), layers.Masking(), dense])
    inputs = kgraph.Input((5, 2))
    outer = kgraph.Model(inputs, layers.GlobalAveragePooling1D()(seq(inputs)))
    kernel, bias = dense.get_weights()
    h = x @ kernel + bias
    want = np.stack([h[i][keep[i]].mean(0) for i in range(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns that a model does not support masking
        got = outer.predict(x, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_loss_and_mean_metrics_skip_the_masked_steps():
    """A per-timestep output carries the embedding's mask: the loss averages the unmasked
    steps only (Keras' apply_mask), mean metrics weight them by the mask."""
    ids = _ids()
    y = RNG.standard_normal((3, 5, 2)).astype(np.float32)
    inputs = kgraph.Input((5,), dtype="int32")
    embedding, dense = layers.Embedding(9, 3, mask_zero=True), layers.Dense(2)
    model = kgraph.Model(inputs, dense(embedding(inputs)))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    pred = model.predict(ids, verbose=0)
    keep = ids != 0
    mse, mae = ((pred - y) ** 2).mean(-1), np.abs(pred - y).mean(-1)
    loss, metric = model.evaluate(ids, y, batch_size=3, verbose=0)
    assert loss == pytest.approx(mse[keep].mean(), rel=1e-5)
    want_mae = (mae * keep).mean(1).sum() / keep.mean(1).sum()
    assert metric == pytest.approx(want_mae, rel=1e-5)
    assert loss != pytest.approx(mse.mean(), rel=1e-3)  # the padding would change it
    before = model.get_weights()
    model.fit(ids, y, batch_size=3, epochs=1, verbose=0)
    grad_rows = np.abs(model.get_weights()[0] - before[0]).sum(1)
    assert grad_rows[0] == 0.0  # the padding id's embedding row gets no gradient
    assert (grad_rows[np.unique(ids[ids != 0])] > 0).all()


def test_mask_ops_order_the_layers_but_stay_out_of_the_config():
    """The embedding mask's NotEqual is a node of the model (summary, layer order, as Keras),
    not a layer of its config: a loaded model computes the mask again."""
    ids = _ids()
    inputs = kgraph.Input((5,), dtype="int32")
    masked = layers.Embedding(9, 4, mask_zero=True)(inputs)
    plain = layers.Dense(4)(layers.Embedding(9, 4)(inputs))
    pooled = layers.GlobalAveragePooling1D()(layers.Concatenate(axis=1)([masked, plain]))
    model = kgraph.Model(inputs, pooled)
    config = model.get_config()
    assert [item["class_name"] for item in config["layers"]] == [
        "InputLayer", "Embedding", "Embedding", "Dense", "Concatenate", "GlobalAveragePooling1D"
    ]  # fmt: skip
    assert all(not node["kwargs"] for item in config["layers"] for node in item["inbound_nodes"])
    loaded = kgraph.Model.from_config(config)
    loaded.set_weights(model.get_weights())
    got, want = loaded.predict(ids, verbose=0), model.predict(ids, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    masked_table, plain_table, kernel, bias = model.get_weights()  # Keras' order
    steps = np.concatenate([masked_table[ids], plain_table[ids] @ kernel + bias], 1)
    keep = np.concatenate([ids != 0, np.ones_like(ids, bool)], 1)
    reference = np.stack([steps[i][keep[i]].mean(0) for i in range(len(ids))])
    np.testing.assert_allclose(want, reference, rtol=1e-5, atol=1e-6)


def test_softmax_and_lambda_take_the_mask_as_keras():
    scores = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    keep = RNG.random((2, 3, 4)) > 0.3
    keep[0, 0] = False  # a fully masked row is all zeros, not uniform
    got = np.asarray(layers.Softmax()(scores, mask=keep))
    e = np.exp(np.where(keep, scores, -1e9) - np.where(keep, scores, -1e9).max(-1, keepdims=True))
    want = np.where(keep, e / e.sum(-1, keepdims=True), 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    embedded = layers.Embedding(9, 3, mask_zero=True)(kgraph.Input((5,), dtype="int32"))
    with pytest.raises(ValueError, match="broadcastable"):  # Keras' error: (B, 5) vs (B, 5, 3)
        layers.Softmax()(embedded)
    seen = []
    doubled = layers.Lambda(lambda x, mask=None: seen.append(mask) or x * 2.0, mask=lambda i, m: m)
    ids = _ids()
    out = doubled(layers.Embedding(9, 3, mask_zero=True)(ids))
    np.testing.assert_array_equal(np.asarray(seen[-1]), ids != 0)
    np.testing.assert_array_equal(np.asarray(get_mask(out)), ids != 0)
