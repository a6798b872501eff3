"""What the sequence-program audits share: a save/reload check and keras.io's layers and
model builders (written against ``lib``, kgraph or Keras, where the oracle tests build the same
program in both)."""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers, ops

RNG = np.random.default_rng(11)


def round_trip(model, x, tmp_path, custom_objects=None, atol=1e-5):
    """Saves ``model`` to .keras, reloads it and checks the reloaded predictions match."""
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, custom_objects=custom_objects)
    want = model.predict(x, verbose=0)
    got = loaded.predict(x, verbose=0)
    for g, w in zip(keras.tree.flatten(got), keras.tree.flatten(want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=atol)
    return loaded


class TransformerBlock(layers.Layer):
    """keras.io's text classification with Transformer block."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim, self.rate = embed_dim, num_heads, ff_dim, rate
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)

    def get_config(self):
        config = super().get_config()
        config.update(
            embed_dim=self.embed_dim, num_heads=self.num_heads, ff_dim=self.ff_dim, rate=self.rate
        )
        return config


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions

    def get_config(self):
        config = super().get_config()
        config.update(maxlen=self.maxlen, vocab_size=self.vocab_size, embed_dim=self.embed_dim)
        return config


def toy_reviews(n, length, vocab):
    """Integer reviews whose label says whether low or high word ids dominate."""
    y = RNG.integers(2, size=n)
    low = RNG.integers(1, vocab // 2, size=(n, length))
    high = RNG.integers(vocab // 2, vocab, size=(n, length))
    pick = RNG.random(size=(n, length)) < np.where(y[:, None] == 1, 0.8, 0.2)
    return np.where(pick, low, high).astype("int32"), y


def padded_ids(n, length, vocab=30):
    ids = RNG.integers(1, vocab, size=(n, length))
    ids[np.arange(length) >= RNG.integers(2, length + 1, size=n)[:, None]] = 0
    return ids


def translator_layers(lib):
    """keras.io's English-to-Spanish Transformer layers, written against ``lib`` (kgraph or
    Keras): a PositionalEmbedding that computes the padding mask, and an encoder and a decoder
    that support masking (the decoder's self-attention is causal)."""
    L, ops_ = lib.layers, lib.ops

    class PositionalEmbedding(L.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = L.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.position_embeddings = L.Embedding(input_dim=sequence_length, output_dim=embed_dim)
            self.sequence_length, self.vocab_size = sequence_length, vocab_size
            self.embed_dim = embed_dim

        def call(self, inputs):
            positions = ops_.arange(0, ops_.shape(inputs)[-1], 1)
            return self.token_embeddings(inputs) + self.position_embeddings(positions)

        def compute_mask(self, inputs, mask=None):
            return ops_.not_equal(inputs, 0)

    class TransformerEncoder(L.Layer):
        def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.attention = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = lib.Sequential(
                [L.Dense(dense_dim, activation="relu"), L.Dense(embed_dim)]
            )
            self.layernorm_1, self.layernorm_2 = L.LayerNormalization(), L.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            padding_mask = None if mask is None else ops_.cast(mask[:, None, :], dtype="int32")
            attention_output = self.attention(
                query=inputs, value=inputs, key=inputs, attention_mask=padding_mask
            )
            proj_input = self.layernorm_1(inputs + attention_output)
            return self.layernorm_2(proj_input + self.dense_proj(proj_input))

    class TransformerDecoder(L.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.attention_1 = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = lib.Sequential(
                [L.Dense(latent_dim, activation="relu"), L.Dense(embed_dim)]
            )
            self.layernorm_1 = L.LayerNormalization()
            self.layernorm_2 = L.LayerNormalization()
            self.layernorm_3 = L.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            inputs, encoder_outputs = inputs
            inputs_mask, encoder_mask = (None, None) if mask is None else mask
            attention_output_1 = self.attention_1(
                query=inputs, value=inputs, key=inputs, use_causal_mask=True,
                query_mask=inputs_mask,
            )  # fmt: skip
            out_1 = self.layernorm_1(inputs + attention_output_1)
            attention_output_2 = self.attention_2(
                query=out_1, value=encoder_outputs, key=encoder_outputs,
                query_mask=inputs_mask, key_mask=encoder_mask,
            )  # fmt: skip
            out_2 = self.layernorm_2(out_1 + attention_output_2)
            return self.layernorm_3(out_2 + self.dense_proj(out_2))

    return PositionalEmbedding, TransformerEncoder, TransformerDecoder


def build_translator(lib, vocab_size=20, sequence_length=8, embed_dim=8, latent_dim=16, rate=0.5):
    PositionalEmbedding, TransformerEncoder, TransformerDecoder = translator_layers(lib)
    encoder_inputs = lib.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, 2)(x)
    decoder_inputs = lib.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, latent_dim, 2)([x, encoder_outputs])
    x = lib.layers.Dropout(rate)(x)
    decoder_outputs = lib.layers.Dense(vocab_size, activation="softmax")(x)
    return lib.Model(
        {"encoder_inputs": encoder_inputs, "decoder_inputs": decoder_inputs}, decoder_outputs
    )


def translation_pairs(n=32, vocab=20, length=8):
    """Source ids, then targets that copy the source in reverse; 0 pads, 1 starts."""
    src = RNG.integers(2, vocab, size=(n, length))
    lengths = RNG.integers(3, length, size=n)
    src[np.arange(length) >= lengths[:, None]] = 0
    tgt = np.zeros((n, length + 1), dtype="int64")
    tgt[:, 0] = 1
    for i, k in enumerate(lengths):
        tgt[i, 1 : k + 1] = src[i, :k][::-1]
    return src, tgt


def build_query_value_attention(lib, attention="Attention"):
    """The Attention layer docs' query-value model: a CNN encodes both token sequences, the
    query attends to the value, and both pooled encodings are concatenated."""
    L = lib.layers
    query_input = lib.Input(shape=(None,), dtype="int32")
    value_input = lib.Input(shape=(None,), dtype="int32")
    token_embedding = L.Embedding(input_dim=20, output_dim=6)
    query_embeddings = token_embedding(query_input)
    value_embeddings = token_embedding(value_input)
    cnn_layer = L.Conv1D(filters=5, kernel_size=3, padding="same")
    query_seq_encoding = cnn_layer(query_embeddings)
    value_seq_encoding = cnn_layer(value_embeddings)
    query_value_attention_seq = getattr(L, attention)()([query_seq_encoding, value_seq_encoding])
    query_encoding = L.GlobalAveragePooling1D()(query_seq_encoding)
    query_value_attention = L.GlobalAveragePooling1D()(query_value_attention_seq)
    input_layer = L.Concatenate()([query_encoding, query_value_attention])
    output = L.Dense(1)(input_layer)
    return lib.Model([query_input, value_input], output)
