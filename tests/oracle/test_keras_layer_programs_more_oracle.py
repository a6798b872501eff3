"""Oracle: more programs users write with everyday layers against real Keras 3 (JAX): an
encoder-decoder passing recurrent states, MultiHeadAttention with masks and scores, a masked
tagger with TimeDistributed over a free time axis, the Keras ops guide's custom layers with
add_loss, regularizers and constraints, and Lambda layers (predict, ONNX, SGD fit)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.oracle.keras_layer_programs import check_program
from tests.oracle.keras_oracle import MARKS

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(13)


def _seq2seq(lib):
    """keras.io "Character-level recurrent sequence-to-sequence model": states as
    ``initial_state`` of the decoder."""
    layers = lib.layers
    encoder_inputs, decoder_inputs = lib.Input((None, 4)), lib.Input((None, 4))
    _, h, c = layers.LSTM(5, return_state=True)(encoder_inputs)
    decoder = layers.LSTM(5, return_sequences=True, return_state=True)
    x, _, _ = decoder(decoder_inputs, initial_state=[h, c])
    x, _ = layers.GRU(5, return_state=True, return_sequences=True)(x, initial_state=h)
    return lib.Model([encoder_inputs, decoder_inputs], layers.Dense(4, activation="softmax")(x))


def test_seq2seq_states_as_initial_state(tmp_path):
    x = [RNG.standard_normal((8, 6, 4)), RNG.standard_normal((8, 5, 4))]
    x = [a.astype("float32") for a in x]
    y = np.eye(4, dtype="float32")[RNG.integers(0, 4, (8, 5))]
    check_program(_seq2seq, x, y, "categorical_crossentropy", tmp_path)


def _attention_heads(lib):
    layers = lib.layers
    query, value = lib.Input((5, 4)), lib.Input((6, 3))
    mask = lib.Input((5, 6), dtype="bool")
    attention = layers.MultiHeadAttention(2, 3, value_dim=2, output_shape=(7,), use_bias=False)
    out, scores = attention(query, value, attention_mask=mask, return_attention_scores=True)
    causal = layers.MultiHeadAttention(2, 3)(query, query, use_causal_mask=True)
    return lib.Model([query, value, mask], [out, scores, causal])


def test_multi_head_attention_masks_and_scores(tmp_path):
    x = [RNG.standard_normal((8, 5, 4)), RNG.standard_normal((8, 6, 3))]
    x = [a.astype("float32") for a in x] + [RNG.random((8, 5, 6)) > 0.3]
    check_program(_attention_heads, x, tmp_path=tmp_path)


def _masked_tagger(lib):
    layers = lib.layers
    inputs = lib.Input((None,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    x = layers.GRU(3, return_sequences=True)(x)
    x = layers.TimeDistributed(layers.Dense(2, activation="tanh"))(x)  # time axis None
    return lib.Model(inputs, layers.Dense(1)(layers.LSTM(3)(x)))


def test_masked_time_distributed_on_a_free_time_axis(tmp_path):
    x = RNG.integers(1, 10, (8, 6)).astype("int32")
    x[:, 4:] = 0
    x[0, 2:] = 0
    y = RNG.standard_normal((8, 1)).astype("float32")
    ours, theirs = check_program(_masked_tagger, x, y, tmp_path=tmp_path)
    np.testing.assert_allclose(
        ours.predict(x[:, :3], verbose=0), theirs.predict(x[:, :3], verbose=0), atol=1e-6
    )


def _ops_guide(lib):
    layers, ops = lib.layers, lib.ops

    class MyDense(layers.Layer):
        def __init__(self, units, activation=None, name=None):
            super().__init__(name=name)
            self.units = units
            self.activation = lib.activations.get(activation)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, inputs):
            return self.activation(ops.matmul(inputs, self.w) + self.b)

    class NumpyStyle(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            z = ops.einsum("bi,i->bi", x, self.scale)
            z = ops.where(z > 0, ops.log1p(ops.abs(z)), ops.expm1(z))
            z = ops.clip(z, -2.0, 2.0) + ops.logsumexp(z, axis=-1, keepdims=True)
            z = ops.concatenate([z, ops.flip(z, axis=-1), ops.sort(z, axis=-1)], axis=-1)
            z = z - ops.mean(z, axis=0, keepdims=True) * ops.std(z, axis=-1, keepdims=True)
            return ops.tanh(z) + 0.01 * ops.norm(z, axis=-1, keepdims=True)

    class ActivityRegularization(layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * ops.sum(ops.square(inputs)))
            return inputs

    inputs = lib.Input((5,))
    x = ActivityRegularization()(MyDense(6, activation="relu")(inputs))
    return lib.Model(inputs, MyDense(2, activation="softmax")(NumpyStyle()(x)))


def test_ops_guide_custom_layers(tmp_path):
    x = RNG.standard_normal((8, 5)).astype("float32")
    y = RNG.integers(0, 2, (8,))
    check_program(_ops_guide, x, y, "sparse_categorical_crossentropy", tmp_path)


def _regularized(lib):
    layers, regularizers, constraints = lib.layers, lib.regularizers, lib.constraints
    inputs = lib.Input((5,))
    x = layers.Dense(
        4,
        kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.02),
        bias_regularizer="l2",
        activity_regularizer=regularizers.L2(0.05),
        kernel_constraint=constraints.MaxNorm(0.5, axis=0),
        bias_constraint=constraints.NonNeg(),
    )(inputs)
    x = layers.Dense(
        3,
        kernel_constraint=constraints.UnitNorm(),
        kernel_regularizer=regularizers.OrthogonalRegularizer(0.1),
        bias_constraint=constraints.MinMaxNorm(0.1, 0.4, rate=0.5, axis=0),
    )(x)
    x = layers.Conv1D(2, 2, kernel_regularizer="l1")(layers.Reshape((3, 1))(x))
    x = layers.Dense(1, kernel_constraint=constraints.NonNeg())(layers.Flatten()(x))
    return lib.Model(inputs, x)


def test_regularizers_and_constraints_train_as_keras(tmp_path):
    x = RNG.standard_normal((8, 5)).astype("float32")
    check_program(_regularized, x, RNG.standard_normal((8, 1)).astype("float32"), tmp_path=tmp_path)


def _lambdas(lib):
    layers, ops = lib.layers, lib.ops
    inputs = lib.Input((4, 3))
    x = layers.Lambda(lambda t, k: ops.power(t, k), arguments={"k": 2}, output_shape=(4, 3))(inputs)
    x = layers.Lambda(lambda t: ops.reshape(t, (-1, 12)))(x)
    x = layers.Lambda(lambda t: lib.activations.gelu(t, approximate=True) * ops.silu(t))(x)
    return lib.Model(inputs, layers.Dense(2)(layers.Lambda(ops.nn.softmax)(x)))


def test_lambda_layers_with_arguments(tmp_path):
    x = RNG.standard_normal((8, 4, 3)).astype("float32")
    check_program(_lambdas, x, RNG.random((8, 2)).astype("float32"), tmp_path=tmp_path)


def _recurrent_zoo(lib):
    """Bidirectional with initial states and return_state, stacked cells in RNN, and the
    RNN guide's custom cell (``state_size`` and ``call(inputs, states)``)."""
    layers, ops = lib.layers, lib.ops

    class MinimalRNNCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), name="recurrent_kernel"
            )

        def call(self, inputs, states):
            output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return output, [output]

    sequence, initial = lib.Input((5, 3)), lib.Input((4,))
    x = layers.Bidirectional(layers.GRU(4, return_sequences=True))(
        sequence, initial_state=[initial, initial]
    )
    last, forward, backward = layers.Bidirectional(
        layers.GRU(2, return_state=True), merge_mode="mul"
    )(x)
    stacked = layers.RNN([layers.GRUCell(3), layers.LSTMCell(2)], return_sequences=True)(x)
    custom = layers.RNN(MinimalRNNCell(3), go_backwards=True)(stacked)
    merged = layers.Concatenate()([last, forward, backward, custom])
    return lib.Model([sequence, initial], layers.Dense(1)(merged))


def test_recurrent_states_cells_and_custom_cell(tmp_path):
    x = [RNG.standard_normal((8, 5, 3)), RNG.standard_normal((8, 4))]
    x = [a.astype("float32") for a in x]
    check_program(
        _recurrent_zoo, x, RNG.standard_normal((8, 1)).astype("float32"), tmp_path=tmp_path
    )


def _video_classifier(lib):
    layers = lib.layers
    inputs = lib.Input((4, 6, 6, 1))
    x = layers.TimeDistributed(layers.Conv2D(2, 3, activation="relu"))(inputs)
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D())(x)
    x = layers.SimpleRNN(3, return_sequences=True)(x)
    x = layers.GlobalMaxPooling1D()(layers.Conv1D(2, 2, padding="causal")(x))
    return lib.Model(inputs, layers.Dense(1)(x))


def test_time_distributed_convolutions_into_a_recurrent_layer(tmp_path):
    x = RNG.standard_normal((8, 4, 6, 6, 1)).astype("float32")
    y = RNG.standard_normal((8, 1)).astype("float32")
    check_program(_video_classifier, x, y, tmp_path=tmp_path, atol=1e-4)
