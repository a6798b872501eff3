"""keras.io-style sequence programs written against ``lib`` (kgraph or Keras), for
``test_keras_sequence_programs_oracle``: recurrent stacks with masks, encoder-decoders with
initial states, attention variants, merges of masked sequences and convolutional recurrences."""

from __future__ import annotations


def imdb_bilstm(lib):
    L = lib.layers
    inputs = lib.Input(shape=(None,), dtype="int32")
    h = L.Embedding(30, 8, mask_zero=True)(inputs)
    h = L.Bidirectional(L.LSTM(6, return_sequences=True))(h)
    h = L.Bidirectional(L.GRU(5), merge_mode="sum")(h)
    return lib.Model(inputs, L.Dense(1, activation="sigmoid")(h))


def recurrent_stack(lib):
    L = lib.layers
    return lib.Sequential(
        [
            lib.Input((6, 3)),
            L.Masking(0.0),
            L.GRU(8, return_sequences=True, reset_after=False),
            L.SimpleRNN(8, return_sequences=True, go_backwards=True),
            L.LSTM(4),
            L.Dense(1),
        ]
    )


def seq2seq(lib):
    L = lib.layers
    encoder_inputs = lib.Input(shape=(None, 6))
    _, state_h, state_c = L.LSTM(8, return_state=True)(encoder_inputs)
    decoder_inputs = lib.Input(shape=(None, 5))
    decoded = L.LSTM(8, return_sequences=True)(decoder_inputs, initial_state=[state_h, state_c])
    return lib.Model([encoder_inputs, decoder_inputs], L.Dense(5, activation="softmax")(decoded))


def timeseries_transformer(lib):
    L = lib.layers
    inputs = lib.Input((10, 2))
    x = L.MultiHeadAttention(key_dim=4, num_heads=2)(inputs, inputs)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = L.Conv1D(filters=4, kernel_size=1, activation="relu")(res)
    x = L.Conv1D(filters=2, kernel_size=1)(x)
    x = L.LayerNormalization(epsilon=1e-6)(x) + res
    x = L.GlobalAveragePooling1D(data_format="channels_first")(x)
    return lib.Model(inputs, L.Dense(2, activation="softmax")(x))


def time_distributed_tagger(lib):
    L = lib.layers
    inputs = lib.Input((None,), dtype="int32")
    h = L.Embedding(30, 6, mask_zero=True)(inputs)
    h = L.LSTM(5, return_sequences=True)(h)
    return lib.Model(inputs, L.TimeDistributed(L.Dense(4, activation="softmax"))(h))


def conv_lstm_next_frame(lib):
    """keras.io's next-frame prediction: ConvLSTM2D, BatchNormalization, Conv3D."""
    L = lib.layers
    inp = L.Input(shape=(None, 8, 8, 1))
    x = L.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True, activation="relu")(inp)
    x = L.BatchNormalization()(x)
    x = L.ConvLSTM2D(4, (1, 1), padding="same", return_sequences=True, activation="relu")(x)
    return lib.Model(inp, L.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(x))


def bidirectional_variants(lib):
    """Merge modes, an explicit backward layer and return_state over a Masking layer."""
    L = lib.layers
    inp = lib.Input((None, 3))
    masked = L.Masking()(inp)
    a = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="mul")(masked)
    backward = L.GRU(3, return_sequences=True, go_backwards=True)
    b = L.Bidirectional(L.GRU(3, return_sequences=True), backward_layer=backward, merge_mode="ave")(
        a
    )
    outs = L.Bidirectional(L.SimpleRNN(2, return_state=True))(b)
    return lib.Model(inp, [*outs, L.GlobalAveragePooling1D()(a)])


def bidirectional_initial_state(lib):
    L = lib.layers
    x, states = lib.Input((None, 3)), [lib.Input((2,)) for _ in range(4)]
    out = L.Bidirectional(L.LSTM(2, return_sequences=True, return_state=True))(
        x, initial_state=states
    )
    return lib.Model([x, *states], [*out, L.GRU(2)(x, initial_state=states[0])])


def attention_variants(lib):
    L = lib.layers
    q, v = lib.Input((4, 3)), lib.Input((5, 3))
    a, s = L.Attention(use_scale=True, score_mode="concat")([q, v], return_attention_scores=True)
    c = L.Attention()([q, q], use_causal_mask=True)
    d = L.AdditiveAttention(use_scale=False)([q, v, v])
    y, t = L.MultiHeadAttention(2, 3, dropout=0.1)(q, v, return_attention_scores=True)
    return lib.Model([q, v], [a, s, c, d, y, t])


def embedding_masks_into_attention(lib):
    """Embedding masks into Attention (query steps zeroed, value steps hidden) and into
    MultiHeadAttention (fully masked query rows included), each on its own Embedding call:
    Keras' MultiHeadAttention strips the masks of the tensors it is given, so a sibling layer
    on the same tensors would see them or not by execution order (kgraph keeps them)."""
    L = lib.layers
    a, b = lib.Input((None,), dtype="int32"), lib.Input((None,), dtype="int32")
    e = L.Embedding(10, 4, mask_zero=True)
    x = L.Attention()([e(a), e(b)])
    y = L.AdditiveAttention()([e(a), e(b), e(b)])
    z = L.LayerNormalization()(L.MultiHeadAttention(2, 2)(e(a), e(b)))
    return lib.Model([a, b], [x, y, L.LSTM(3)(x), L.LSTM(3)(z)])


def masked_merges(lib):
    """Concatenate / Add / Multiply / Average / Maximum / Subtract of masked and unmasked
    sequences into RNNs (which read the merged mask), a time-axis Concatenate and Dot."""
    L = lib.layers
    a, b = lib.Input((None,), dtype="int32"), lib.Input((None,), dtype="int32")
    c = lib.Input((5, 4))
    ea, eb = L.Embedding(10, 4, mask_zero=True)(a), L.Embedding(10, 4, mask_zero=True)(b)
    merges = [L.Concatenate(), L.Add(), L.Multiply(), L.Average(), L.Maximum(), L.Subtract()]
    outs = [L.SimpleRNN(2)(merge([ea, eb])) for merge in merges]
    outs.append(L.SimpleRNN(2)(L.Concatenate()([ea, c])))
    outs.append(L.SimpleRNN(2)(L.Add()([c, ea])))
    outs.append(L.SimpleRNN(2, return_sequences=True)(L.Concatenate(axis=1)([ea, eb])))
    outs.append(L.Dot(axes=(2, 2))([ea, eb]))
    return lib.Model([a, b, c], outs)


def masks_through_layers(lib):
    """An explicit mask input, and Embedding masks through TimeDistributed, Dense, Dropout,
    Activation and the masked global poolings."""
    L = lib.layers
    ids, x, m = (
        lib.Input((None,), dtype="int32"),
        lib.Input((None, 3)),
        lib.Input((None,), dtype="bool"),
    )
    e = L.Embedding(10, 4, mask_zero=True)(ids)
    t = L.TimeDistributed(L.Dense(3))(e)
    outs = [L.GRU(2)(t), L.GRU(2)(L.Dense(3)(e)), L.GRU(2)(L.Dropout(0.2)(L.Activation("relu")(e)))]
    outs += [L.GlobalAveragePooling1D()(e), L.GlobalMaxPooling1D()(e)]
    outs += [L.GRU(2, return_sequences=True)(x, mask=m), L.LSTM(2)(x, mask=m)]
    return lib.Model([ids, x, m], outs)


def wavenet_and_padding_mask_ops(lib):
    """Causal dilated Conv1D stacks, and a MultiHeadAttention padding mask built with ops."""
    L, ops = lib.layers, lib.ops
    x, ids = lib.Input((None, 2)), lib.Input((None,), dtype="int32")
    h = x
    for rate in (1, 2, 4):
        h = L.Conv1D(4, 2, padding="causal", dilation_rate=rate, activation="relu")(h)
    embedded = L.Embedding(10, 4)(ids)
    padding_mask = ops.cast(ops.not_equal(ids, 0)[:, None, :], "int32")
    y = L.MultiHeadAttention(2, 2)(embedded, embedded, attention_mask=padding_mask)
    return lib.Model([x, ids], [L.Dense(1)(h), y])


def video_frames_classifier(lib):
    """A per-frame CNN (a nested Sequential) under TimeDistributed, then a GRU."""
    L = lib.layers
    cnn = lib.Sequential(
        [
            lib.Input((8, 8, 3)),
            L.Conv2D(4, 3, activation="relu"),
            L.BatchNormalization(),
            L.GlobalAveragePooling2D(),
        ]
    )
    frames = lib.Input((None, 8, 8, 3))
    features = L.TimeDistributed(L.Dropout(0.3))(L.TimeDistributed(cnn)(frames))
    return lib.Model(frames, L.Dense(2)(L.GRU(4)(features)))
