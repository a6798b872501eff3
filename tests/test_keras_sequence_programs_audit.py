"""Recurrent and Transformer programs in the style of keras.io's NLP examples, run unchanged
with ``import kgraph as keras``: each builds, trains, evaluates, predicts, saves and reloads, and
checks concrete results (numpy references, reloaded predictions, a falling loss, causality) so
that a Keras habit kgraph breaks in recurrent or attention code fails here. Shared layers and
builders: ``tests/sequence_programs.py``; the same programs against real Keras:
``tests/oracle/test_keras_sequence_programs_oracle.py``."""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers
from tests.sequence_programs import (
    TokenAndPositionEmbedding,
    TransformerBlock,
    round_trip,
    toy_reviews,
)

RNG = np.random.default_rng(5)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


def test_transformer_text_classification(tmp_path):
    vocab_size, maxlen, embed_dim = 40, 10, 8
    x, y = toy_reviews(96, maxlen, vocab_size)
    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    h = embedding_layer(inputs)
    h = TransformerBlock(embed_dim, 2, 16)(h)
    h = layers.GlobalAveragePooling1D()(h)
    h = layers.Dropout(0.1)(h)
    h = layers.Dense(8, activation="relu")(h)
    h = layers.Dropout(0.1)(h)
    outputs = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x, y, batch_size=16, epochs=3, validation_data=(x[:32], y[:32]), verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.7
    probs = model.predict(x[:5], verbose=0)
    assert probs.shape == (5, 2)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    round_trip(
        model,
        x[:5],
        tmp_path,
        {
            "TransformerBlock": TransformerBlock,
            "TokenAndPositionEmbedding": TokenAndPositionEmbedding,
        },
    )


def test_bidirectional_lstm_imdb_with_masking(tmp_path):
    """keras.io's bidirectional LSTM on IMDB, with zero padding masked by the Embedding."""
    max_features = 30
    x, y = toy_reviews(64, 12, max_features)
    x[::2, 8:] = 0  # post-padding
    inputs = keras.Input(shape=(None,), dtype="int32")
    h = layers.Embedding(max_features, 8, mask_zero=True)(inputs)
    h = layers.Bidirectional(layers.LSTM(6, return_sequences=True))(h)
    h = layers.Bidirectional(layers.LSTM(6))(h)
    outputs = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    assert (
        model.count_params()
        == 30 * 8 + 2 * 4 * (8 * 6 + 6 * 6 + 6) + 2 * 4 * (12 * 6 + 6 * 6 + 6) + 13
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    model.evaluate(x, y, verbose=0)
    # masked steps are skipped: a padded review scores as its unpadded prefix
    full = model.predict(x[:1], verbose=0)
    prefix = model.predict(x[:1, :8], verbose=0)
    np.testing.assert_allclose(full, prefix, rtol=1e-5, atol=1e-6)
    round_trip(model, x[:6], tmp_path)


def sample(preds, temperature=1.0):
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    return np.argmax(RNG.multinomial(1, preds, 1))


def test_character_level_lstm_text_generation():
    """keras.io's character-level LSTM: one-hot windows, next-char softmax, sampled output."""
    text = "the quick brown fox jumps over the lazy dog. " * 4
    chars = sorted(set(text))
    char_indices = {c: i for i, c in enumerate(chars)}
    maxlen, step = 8, 3
    sentences = [text[i : i + maxlen] for i in range(0, len(text) - maxlen, step)]
    next_chars = [text[i + maxlen] for i in range(0, len(text) - maxlen, step)]
    x = np.zeros((len(sentences), maxlen, len(chars)), dtype="bool")
    y = np.zeros((len(sentences), len(chars)), dtype="bool")
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen, len(chars))),
            layers.LSTM(32),
            layers.Dense(len(chars), activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(0.01))
    history = model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    sentence, generated = text[:maxlen], ""
    for _ in range(5):
        x_pred = np.zeros((1, maxlen, len(chars)))
        for t, char in enumerate(sentence):
            x_pred[0, t, char_indices[char]] = 1.0
        preds = model.predict(x_pred, verbose=0)[0]
        assert preds.shape == (len(chars),) and abs(preds.sum() - 1) < 1e-5
        next_char = chars[sample(preds, 0.5)]
        sentence = sentence[1:] + next_char
        generated += next_char
    assert len(generated) == 5 and set(generated) <= set(chars)


def test_lstm_seq2seq_with_return_state_and_initial_state(tmp_path):
    """keras.io's character-level seq2seq: a training model, then encoder and decoder
    inference models built from its layers, decoding greedily one step at a time."""
    num_encoder_tokens, num_decoder_tokens, latent_dim, n = 6, 5, 8, 24
    enc_in = np.eye(num_encoder_tokens)[RNG.integers(num_encoder_tokens, size=(n, 7))]
    dec_in = np.eye(num_decoder_tokens)[RNG.integers(num_decoder_tokens, size=(n, 4))]
    dec_target = np.roll(dec_in, -1, axis=1)
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = layers.LSTM(latent_dim, return_state=True)
    _encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        [enc_in, dec_in], dec_target, batch_size=8, epochs=2, validation_split=0.25, verbose=0
    )
    assert len(history.history["val_accuracy"]) == 2
    model = round_trip(model, [enc_in[:3], dec_in[:3]], tmp_path)
    encoder_model = keras.Model(model.input[0], model.layers[2].output[1:])
    decoder_lstm, decoder_dense = model.layers[3], model.layers[4]
    decoder_state_input_h = keras.Input(shape=(latent_dim,))
    decoder_state_input_c = keras.Input(shape=(latent_dim,))
    states_inputs = [decoder_state_input_h, decoder_state_input_c]
    step_inputs = keras.Input(shape=(None, num_decoder_tokens))
    outputs, state_h_dec, state_c_dec = decoder_lstm(step_inputs, initial_state=states_inputs)
    decoder_model = keras.Model(
        [step_inputs] + states_inputs, [decoder_dense(outputs), state_h_dec, state_c_dec]
    )
    states = encoder_model.predict(enc_in[:2], verbose=0)
    assert [s.shape for s in states] == [(2, latent_dim)] * 2
    steps = []
    token = np.zeros((2, 1, num_decoder_tokens))
    token[:, 0, 0] = 1
    tokens = dec_in[:2, :1]
    for t in range(3):
        probs, h, c = decoder_model.predict([tokens[:, -1:]] + states, verbose=0)
        steps.append(probs[:, -1])
        states = [h, c]
        tokens = np.concatenate([tokens, dec_in[:2, t + 1 : t + 2]], axis=1)
    # stepping with teacher forcing reproduces the training model's predictions
    full = model.predict([enc_in[:2], dec_in[:2, :3]], verbose=0)
    np.testing.assert_allclose(np.stack(steps, 1), full, rtol=1e-4, atol=1e-5)


class CausalTransformerBlock(layers.Layer):
    """keras.io's miniature GPT block (its causal mask through ``use_causal_mask``)."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads, embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1, self.dropout2 = layers.Dropout(rate), layers.Dropout(rate)

    def call(self, inputs):
        attention_output = self.att(inputs, inputs, use_causal_mask=True)
        out1 = self.layernorm1(inputs + self.dropout1(attention_output))
        return self.layernorm2(out1 + self.dropout2(self.ffn(out1)))


def test_miniature_gpt_text_generation():
    """keras.io's miniature GPT: next-token logits plus the block output (loss None), trained
    on shifted sequences, then sampled from the top-k logits token by token."""
    vocab_size, maxlen, embed_dim = 24, 8, 16
    inputs = layers.Input(shape=(maxlen,), dtype="int32")
    x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)
    x = CausalTransformerBlock(embed_dim, 2, 16)(x)
    outputs = layers.Dense(vocab_size)(x)
    model = keras.Model(inputs=inputs, outputs=[outputs, x])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile("adam", loss=[loss_fn, None])
    text = (np.arange(200) * 7 % (vocab_size - 1) + 1).astype("int32")  # a cycle to learn
    windows = np.stack([text[i : i + maxlen + 1] for i in range(0, 150)])
    history = model.fit(windows[:, :-1], windows[:, 1:], batch_size=16, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    logits, hidden = model.predict(windows[:2, :-1], verbose=0)
    assert logits.shape == (2, maxlen, vocab_size) and hidden.shape == (2, maxlen, embed_dim)
    # causal: a later token does not change the earlier positions' logits
    changed = windows[:2, :-1].copy()
    changed[:, -1] = 0
    np.testing.assert_allclose(
        model.predict(changed, verbose=0)[0][:, :-1], logits[:, :-1], rtol=1e-4, atol=1e-5
    )
    start_tokens, generated = [int(t) for t in text[:3]], []
    while len(generated) < 4:
        pad_len = maxlen - len(start_tokens)
        sample_index = len(start_tokens) - 1
        x = start_tokens + [0] * pad_len if pad_len > 0 else start_tokens[:maxlen]
        y, _ = model.predict(np.array([x]), verbose=0)
        top_logits = y[0][sample_index]
        indices = np.argsort(top_logits)[-5:]
        probs = np.exp(top_logits[indices] - top_logits[indices].max())
        sample_token = int(RNG.choice(indices, p=probs / probs.sum()))
        generated.append(sample_token)
        start_tokens.append(sample_token)
    assert all(0 <= t < vocab_size for t in generated)


def test_number_addition_seq2seq_with_repeat_vector(tmp_path):
    """keras.io's addition RNN: an LSTM encodes "12+345", RepeatVector feeds the decoder
    LSTM, and a per-step softmax spells the sum."""
    chars = "0123456789+ "
    ctable = {c: i for i, c in enumerate(chars)}
    maxlen, digits = 7, 3

    def encode(s, num_rows):
        x = np.zeros((num_rows, len(chars)))
        for i, c in enumerate(s):
            x[i, ctable[c]] = 1
        return x

    a, b = RNG.integers(0, 999, size=(2, 64))
    questions = [f"{p}+{q}".ljust(maxlen) for p, q in zip(a, b)]
    answers = [str(p + q).ljust(digits + 1) for p, q in zip(a, b)]
    x = np.stack([encode(q, maxlen) for q in questions]).astype("bool")
    y = np.stack([encode(s, digits + 1) for s in answers]).astype("bool")
    model = keras.Sequential()
    model.add(layers.Input((maxlen, len(chars))))
    model.add(layers.LSTM(16))
    model.add(layers.RepeatVector(digits + 1))
    model.add(layers.LSTM(16, return_sequences=True))
    model.add(layers.Dense(len(chars), activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    preds = np.argmax(model.predict(x[:3], verbose=0), axis=-1)
    assert preds.shape == (3, digits + 1)
    guess = ["".join(chars[i] for i in row) for row in preds]
    assert all(len(g) == digits + 1 for g in guess)
    round_trip(model, x[:3], tmp_path)
