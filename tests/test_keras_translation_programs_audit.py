"""keras.io's token-level NLP programs run with ``import kgraph as keras``: named-entity
recognition (per-token softmax, a masked loss), a BiLSTM tagger, the English-to-Spanish
Transformer (padding masks from ``compute_mask``, a causal decoder) and query-value attention;
each checks masks and causality against what they must leave unchanged, and numpy."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import layers, ops
from tests.sequence_programs import (
    TokenAndPositionEmbedding,
    TransformerBlock,
    build_query_value_attention,
    build_translator,
    round_trip,
    translation_pairs,
)

RNG = np.random.default_rng(5)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


class CustomNonPaddingTokenLoss(keras.losses.Loss):
    """keras.io's NER example: cross-entropy averaged over the non-padding tokens only."""

    def __init__(self, name="custom_ner_loss"):
        super().__init__(name=name)

    def call(self, y_true, y_pred):
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=False, reduction=None)
        loss = loss_fn(y_true, y_pred)
        mask = ops.cast((y_true > 0), dtype="float32")
        loss = loss * mask
        return ops.sum(loss) / ops.sum(mask)


def ner_data(n=48, vocab=30, num_tags=4, maxlen=8):
    """Padded token ids and per-token tags (0 is the padding tag)."""
    tokens = RNG.integers(1, vocab, size=(n, maxlen))
    lengths = RNG.integers(4, maxlen + 1, size=n)
    tokens[np.arange(maxlen) >= lengths[:, None]] = 0
    return tokens, np.where(tokens > 0, 1 + tokens % (num_tags - 1), 0)


def test_named_entity_recognition_with_the_examples_masked_loss(tmp_path):
    """keras.io's NER: Embedding -> TransformerBlock -> per-token softmax, trained with the
    example's loss class (integer tags, padding left out of the mean)."""
    vocab, num_tags, maxlen = 30, 4, 8
    tokens, tags = ner_data()
    inputs = keras.Input((maxlen,), dtype="int32")
    h = TokenAndPositionEmbedding(maxlen, vocab, 16)(inputs)
    h = TransformerBlock(16, 2, 16)(h)
    h = layers.Dropout(0.1)(h)
    h = layers.Dense(16, activation="relu")(h)
    outputs = layers.Dense(num_tags, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=CustomNonPaddingTokenLoss())
    history = model.fit(tokens, tags, batch_size=16, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    probs = model.predict(tokens[:2], verbose=0)
    assert probs.shape == (2, maxlen, num_tags)
    # the loss is the mean cross-entropy over the non-padding tokens
    want = -np.log(np.take_along_axis(probs, tags[:2, :, None], -1)[..., 0])[tokens[:2] > 0]
    got = model.evaluate(tokens[:2], tags[:2], verbose=0)
    np.testing.assert_allclose(got, want.mean(), rtol=1e-4)
    custom = {
        "TransformerBlock": TransformerBlock,
        "TokenAndPositionEmbedding": TokenAndPositionEmbedding,
        "CustomNonPaddingTokenLoss": CustomNonPaddingTokenLoss,
    }
    round_trip(model, tokens[:3], tmp_path, custom)


def test_bilstm_tagger_with_masking_and_time_distributed(tmp_path):
    """Per-token tags from a BiLSTM over a masked Embedding, TimeDistributed(Dense) on top:
    padded steps are skipped, so a padded row tags its prefix as the unpadded row does."""
    vocab, num_tags = 30, 4
    tokens, tags = ner_data()
    tagger = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            layers.Embedding(vocab, 8, mask_zero=True),
            layers.Bidirectional(layers.LSTM(8, return_sequences=True)),
            layers.TimeDistributed(layers.Dense(num_tags, activation="softmax")),
        ]
    )
    tagger.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = tagger.fit(tokens, tags, batch_size=16, epochs=2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    tagger.evaluate(tokens, tags, verbose=0)
    row = tokens[(tokens == 0).any(axis=1)][:1]
    k = int((row > 0).sum())
    full = tagger.predict(row, verbose=0)
    assert full.shape == (1, tokens.shape[1], num_tags)
    np.testing.assert_allclose(full[:, :k], tagger.predict(row[:, :k], verbose=0), atol=1e-5)
    round_trip(tagger, tokens[:3], tmp_path)


def test_english_to_spanish_style_transformer(tmp_path):
    src, tgt = translation_pairs()
    transformer = build_translator(keras)
    transformer.compile("rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ds = keras.utils.Dataset.from_tensor_slices(
        ({"encoder_inputs": src, "decoder_inputs": tgt[:, :-1]}, tgt[:, 1:])
    ).batch(8)
    history = transformer.fit(ds, epochs=3, validation_data=ds.take(1), verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    transformer.evaluate(ds, verbose=0)
    feed = {"encoder_inputs": src[:2], "decoder_inputs": tgt[:2, :-1]}
    probs = transformer.predict(feed, verbose=0)
    assert probs.shape == (2, 8, 20)
    # causal: changing later decoder tokens leaves earlier positions' outputs alone
    changed = tgt[:2, :-1].copy()
    changed[:, 4:] = 7
    other = transformer.predict({**feed, "decoder_inputs": changed}, verbose=0)
    np.testing.assert_allclose(other[:, :4], probs[:, :4], rtol=1e-4, atol=1e-6)
    assert not np.allclose(other[:, 4:], probs[:, 4:])
    # the encoder's padding is masked: trailing pads do not change the translation
    row = src[(src == 0).any(axis=1)][:1]
    k = int((row > 0).sum())
    trimmed = transformer.predict(
        {"encoder_inputs": row[:, :k], "decoder_inputs": tgt[:1, :-1]}, verbose=0
    )
    padded = transformer.predict({"encoder_inputs": row, "decoder_inputs": tgt[:1, :-1]}, verbose=0)
    real = tgt[0, :-1] != 0  # an all-masked (padded) query row attends to every key
    np.testing.assert_allclose(trimmed[:, real], padded[:, real], rtol=1e-4, atol=1e-6)
    # greedy decoding, one token at a time
    decoded = np.array([[1]])
    for _ in range(4):
        step = transformer.predict(
            {"encoder_inputs": src[:1], "decoder_inputs": decoded}, verbose=0
        )
        decoded = np.concatenate([decoded, [[int(np.argmax(step[0, -1]))]]], axis=1)
    assert decoded.shape == (1, 5)
    path = str(tmp_path / "translator.weights.h5")
    transformer.save_weights(path)
    fresh = build_translator(keras)
    fresh.load_weights(path)
    np.testing.assert_allclose(fresh.predict(feed, verbose=0), probs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("attention", ["Attention", "AdditiveAttention"])
def test_query_value_attention_model(attention, tmp_path):
    q, v = RNG.integers(20, size=(24, 5)), RNG.integers(20, size=(24, 7))
    y = (q[:, 0] > v[:, 0]).astype("float32")
    model = build_query_value_attention(keras, attention)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    history = model.fit([q, v], y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.evaluate([q, v], y, verbose=0)
    # the attention output against numpy with the trained weights
    table = model.layers[2].get_weights()[0]
    conv_kernel, conv_bias = model.layers[3].get_weights()

    def encode(ids):
        x = np.pad(table[ids], ((0, 0), (1, 1), (0, 0)))
        return sum(x[:, i : i + ids.shape[1]] @ conv_kernel[i] for i in range(3)) + conv_bias

    qe, ve = encode(q[:2]), encode(v[:2])
    if attention == "Attention":
        scores = qe @ ve.transpose(0, 2, 1)
    else:
        scale = model.layers[4].get_weights()[0]
        scores = (np.tanh(qe[:, :, None] + ve[:, None]) * scale).sum(-1)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    attended = (weights / weights.sum(-1, keepdims=True)) @ ve
    pooled = np.concatenate([qe.mean(1), attended.mean(1)], axis=-1)
    dense_kernel, dense_bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(
        model.predict([q[:2], v[:2]], verbose=0), pooled @ dense_kernel + dense_bias, atol=1e-4
    )
    round_trip(model, [q[:3], v[:3]], tmp_path)
