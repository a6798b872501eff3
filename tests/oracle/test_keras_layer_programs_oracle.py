"""Oracle: keras.io example programs built from everyday layers and ``keras.ops`` custom layers,
written once against a library argument and run in kgraph and in real Keras 3 (JAX backend).

Each program is built in both libraries and gets the same numpy-drawn weights (Keras'
``set_weights``); then kgraph's ``predict``, its exported ONNX file run by onnxruntime and a few
SGD steps of ``fit`` (reported losses and final weights) must agree with Keras."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_layer_programs import check_program
from tests.oracle.keras_oracle import MARKS

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(7)


# keras.io: "Text classification with Transformer"
def _text_transformer(lib):
    layers, ops = lib.layers, lib.ops

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = lib.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.dropout1(self.att(inputs, inputs))
            out1 = self.layernorm1(inputs + attn_output)
            return self.layernorm2(out1 + self.dropout2(self.ffn(out1)))

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            positions = self.pos_emb(ops.arange(start=0, stop=ops.shape(x)[-1], step=1))
            return self.token_emb(x) + positions

    inputs = layers.Input(shape=(6,), dtype="int32")
    x = TokenAndPositionEmbedding(6, 20, 8)(inputs)
    x = TransformerBlock(8, 2, 16, rate=0.0)(x)
    x = layers.Dropout(0.0)(layers.GlobalAveragePooling1D()(x))
    x = layers.Dense(5, activation="relu")(x)
    return lib.Model(inputs, layers.Dense(2, activation="softmax")(x))


def test_text_classification_transformer(tmp_path):
    x = RNG.integers(0, 20, (8, 6)).astype("int32")
    y = RNG.integers(0, 2, (8,))
    check_program(_text_transformer, x, y, "sparse_categorical_crossentropy", tmp_path)


# keras.io: "Timeseries classification with a Transformer model"
def _timeseries_transformer(lib):
    layers = lib.layers

    def encoder(inputs, head_size, num_heads, ff_dim, dropout=0.0):
        x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(
            inputs, inputs
        )
        x = layers.LayerNormalization(epsilon=1e-6)(layers.Dropout(dropout)(x))
        res = x + inputs
        x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
        x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(layers.Dropout(dropout)(x))
        return layers.LayerNormalization(epsilon=1e-6)(x) + res

    inputs = lib.Input(shape=(10, 3))
    x = encoder(inputs, 4, 2, 4)
    x = layers.GlobalAveragePooling1D(data_format="channels_first")(x)
    x = layers.Dense(6, activation="relu")(x)
    return lib.Model(inputs, layers.Dense(2, activation="softmax")(x))


def test_timeseries_transformer(tmp_path):
    x = RNG.standard_normal((8, 10, 3)).astype("float32")
    y = RNG.integers(0, 2, (8,))
    check_program(_timeseries_transformer, x, y, "sparse_categorical_crossentropy", tmp_path)


# keras.io: "Simple MNIST convnet" (smaller images and filters)
def _mnist_convnet(lib):
    layers = lib.layers
    return lib.Sequential(
        [
            lib.Input(shape=(12, 12, 1)),
            layers.Conv2D(4, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(6, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.0),
            layers.Dense(3, activation="softmax"),
        ]
    )


def test_simple_mnist_convnet(tmp_path):
    x = RNG.random((8, 12, 12, 1)).astype("float32")
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 8)]
    check_program(_mnist_convnet, x, y, "categorical_crossentropy", tmp_path, atol=1e-4)


# keras.io: "Bidirectional LSTM on IMDB" (a variable-length int input)
def _bidirectional_lstm(lib):
    layers = lib.layers
    inputs = lib.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(30, 4)(inputs)
    x = layers.Bidirectional(layers.LSTM(5, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(3))(x)
    return lib.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


def test_bidirectional_lstm_imdb(tmp_path):
    x = RNG.integers(0, 30, (8, 7)).astype("int32")
    y = RNG.integers(0, 2, (8, 1)).astype("float32")
    ours, theirs = check_program(_bidirectional_lstm, x, y, "binary_crossentropy", tmp_path)
    shorter = x[:, :4]  # the time axis stays free in kgraph's graph, as in Keras
    np.testing.assert_allclose(
        ours.predict(shorter, verbose=0), theirs.predict(shorter, verbose=0), atol=1e-6
    )


# keras.io: "Variational AutoEncoder": the KL term through add_loss, and the Sampling layer
def _vae_with_kl_loss(lib):
    layers, ops = lib.layers, lib.ops

    class KLDivergence(layers.Layer):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            self.add_loss(ops.mean(ops.sum(kl, axis=1)))
            return z_mean

    inputs = lib.Input(shape=(6,))
    h = layers.Dense(4, activation="relu")(inputs)
    z = KLDivergence()([layers.Dense(2)(h), layers.Dense(2)(h)])
    return lib.Model(inputs, layers.Dense(6, activation="sigmoid")(z))


def test_vae_add_loss_trains_as_keras(tmp_path):
    x = RNG.random((8, 6)).astype("float32")
    check_program(_vae_with_kl_loss, x, x, "binary_crossentropy", tmp_path)


def _sampling(lib):
    layers, ops = lib.layers, lib.ops

    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = lib.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
            epsilon = lib.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    return Sampling()


def test_vae_sampling_layer_draws_standard_normal_noise():
    """Keras' draws come from JAX's generator, so only the distribution can be compared."""
    z_mean = np.full((4000, 2), 3.0, np.float32)
    z_log_var = np.full((4000, 2), np.log(4.0), np.float32)
    sampling = _sampling(kgraph)
    first = kgraph.ops.convert_to_numpy(sampling([z_mean, z_log_var]))
    second = kgraph.ops.convert_to_numpy(sampling([z_mean, z_log_var]))
    assert first.shape == (4000, 2) and not np.allclose(first, second)
    np.testing.assert_allclose(first.mean(), 3.0, atol=0.1)
    np.testing.assert_allclose(first.std(), 2.0, atol=0.1)
    inputs = [kgraph.Input((2,)), kgraph.Input((2,))]
    model = kgraph.Model(inputs, _sampling(kgraph)(inputs))
    drawn = model.predict([z_mean, z_log_var], verbose=0)
    np.testing.assert_allclose(drawn.std(), 2.0, atol=0.1)


# keras.io: "Collaborative Filtering for Movie Recommendations" (a subclassed model)
def _recommender(lib):
    layers, ops = lib.layers, lib.ops

    class RecommenderNet(lib.Model):
        def __init__(self, num_users, num_movies, embedding_size, **kwargs):
            super().__init__(**kwargs)
            l2 = lib.regularizers.l2(1e-3)
            self.user_embedding = layers.Embedding(
                num_users, embedding_size, "he_normal", embeddings_regularizer=l2
            )
            self.user_bias = layers.Embedding(num_users, 1)
            self.movie_embedding = layers.Embedding(
                num_movies, embedding_size, "he_normal", embeddings_regularizer=l2
            )
            self.movie_bias = layers.Embedding(num_movies, 1)

        def call(self, inputs):
            user_vector = self.user_embedding(inputs[:, 0])
            movie_vector = self.movie_embedding(inputs[:, 1])
            dot = ops.tensordot(user_vector, movie_vector, 2)
            x = dot + self.user_bias(inputs[:, 0]) + self.movie_bias(inputs[:, 1])
            return ops.nn.sigmoid(x)

    model = RecommenderNet(10, 12, 4)
    model(np.zeros((2, 2), "int32"))
    return model


def test_collaborative_filtering_subclassed_model():
    x = np.stack([RNG.integers(0, 10, 8), RNG.integers(0, 12, 8)], 1).astype("int32")
    y = RNG.random((8, 1)).astype("float32")
    check_program(_recommender, x, y, "binary_crossentropy")


def _embedding_dot(lib):
    layers = lib.layers
    users, movies = lib.Input((1,), dtype="int32"), lib.Input((1,), dtype="int32")
    u = layers.Flatten()(layers.Embedding(10, 4)(users))
    m = layers.Flatten()(layers.Embedding(12, 4)(movies))
    similarity = layers.Dot(axes=1, normalize=True)([u, m])
    return lib.Model([users, movies], layers.Dense(1)(similarity))


def test_collaborative_filtering_embedding_dot(tmp_path):
    users, movies = RNG.integers(0, 10, (8, 1)), RNG.integers(0, 12, (8, 1))
    x = [users.astype("int32"), movies.astype("int32")]
    check_program(_embedding_dot, x, RNG.random((8, 1)).astype("float32"), tmp_path=tmp_path)


# keras.io: "Image segmentation with a U-Net-like architecture"
def _unet(lib):
    layers = lib.layers
    inputs = lib.Input(shape=(8, 8, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    previous = x
    x = layers.SeparableConv2D(6, 3, padding="same")(layers.Activation("relu")(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(layers.BatchNormalization()(x))
    x = layers.add([x, layers.Conv2D(6, 1, strides=2, padding="same")(previous)])
    previous = x
    for filters in (6, 4):
        x = layers.Conv2DTranspose(filters, 3, padding="same")(layers.Activation("relu")(x))
        x = layers.UpSampling2D(2)(layers.BatchNormalization()(x))
        residual = layers.Conv2D(filters, 1, padding="same")(layers.UpSampling2D(2)(previous))
        x = previous = layers.add([x, residual])
    x = layers.Concatenate()([x, layers.Conv2D(4, 1)(inputs)])
    return lib.Model(inputs, layers.Conv2D(3, 3, activation="softmax", padding="same")(x))


def test_unet_segmentation(tmp_path):
    x = RNG.random((8, 8, 8, 3)).astype("float32")
    y = RNG.integers(0, 3, (8, 8, 8, 1))
    check_program(_unet, x, y, "sparse_categorical_crossentropy", tmp_path, atol=1e-4)
