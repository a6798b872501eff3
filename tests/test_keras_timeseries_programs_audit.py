"""keras.io's timeseries programs and recurrent building blocks run with ``import kgraph as
keras``: forecasting from ``timeseries_dataset_from_array``, Transformer classification, an
autoencoder for anomalies, padded series under ``Masking``, stacked GRU/SimpleRNN layers, a
user cell with a state list, and TimeDistributed over video frames."""

from __future__ import annotations

import numpy as np

import kgraph as keras
from kgraph import layers, ops
from tests.sequence_programs import round_trip

RNG = np.random.default_rng(5)


def setup_function():
    keras.utils.clear_session()
    keras.utils.set_random_seed(1)


def test_timeseries_forecasting_with_timeseries_dataset_from_array(tmp_path):
    """keras.io's weather forecasting: windows from timeseries_dataset_from_array into LSTM."""
    t = np.arange(300, dtype="float32")
    features = np.stack([np.sin(t / 8), np.cos(t / 8), np.sin(t / 3)], axis=-1).astype("float32")
    past, future, batch_size = 12, 3, 16
    start = past + future
    targets = features[start:, 0]
    dataset_train = keras.utils.timeseries_dataset_from_array(
        features[:200], targets[:200], sequence_length=past, sampling_rate=1, batch_size=batch_size
    )
    dataset_val = keras.utils.timeseries_dataset_from_array(
        features[200:-start], targets[200:], sequence_length=past, batch_size=batch_size
    )
    inputs_batch, targets_batch = next(iter(dataset_train))
    assert tuple(inputs_batch.shape) == (batch_size, past, 3)
    np.testing.assert_allclose(np.asarray(inputs_batch)[1], features[1 : 1 + past])
    np.testing.assert_allclose(np.asarray(targets_batch)[:3], targets[:3])
    inputs = keras.layers.Input(shape=(inputs_batch.shape[1], inputs_batch.shape[2]))
    lstm_out = keras.layers.LSTM(16)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    path_checkpoint = str(tmp_path / "model_checkpoint.weights.h5")
    es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    modelckpt_callback = keras.callbacks.ModelCheckpoint(
        monitor="val_loss",
        filepath=path_checkpoint,
        verbose=0,
        save_weights_only=True,
        save_best_only=True,
    )
    history = model.fit(
        dataset_train,
        epochs=4,
        validation_data=dataset_val,
        callbacks=[es_callback, modelckpt_callback],
        verbose=0,
    )
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]
    for x, _y in dataset_val.take(1):
        assert model.predict(x, verbose=0).shape == (x.shape[0], 1)
    model.load_weights(path_checkpoint)
    round_trip(model, np.asarray(inputs_batch), tmp_path)


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    """keras.io's timeseries classification with a Transformer model."""
    x = layers.MultiHeadAttention(key_dim=head_size, num_heads=num_heads, dropout=dropout)(
        inputs, inputs
    )
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def test_timeseries_transformer_classification(tmp_path):
    n, steps = 64, 16
    slope = RNG.choice([-1.0, 1.0], size=n)
    x = (slope[:, None] * np.linspace(0, 1, steps) + 0.2 * RNG.normal(size=(n, steps)))[..., None]
    x = x.astype("float32")
    y = (slope > 0).astype("int32")
    inputs = keras.Input(shape=x.shape[1:])
    h = inputs
    for _ in range(2):
        h = transformer_encoder(h, head_size=8, num_heads=2, ff_dim=4, dropout=0.1)
    h = layers.GlobalAveragePooling1D(data_format="channels_first")(h)
    assert h.shape == (None, steps)
    h = layers.Dense(8, activation="relu")(h)
    h = layers.Dropout(0.1)(h)
    outputs = layers.Dense(2, activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=["sparse_categorical_accuracy"],
    )
    callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
    history = model.fit(
        x, y, validation_split=0.2, epochs=2, batch_size=16, callbacks=callbacks, verbose=0
    )
    assert len(history.history["val_sparse_categorical_accuracy"]) == 2
    model.evaluate(x, y, verbose=0)
    round_trip(model, x[:4], tmp_path)


def test_timeseries_anomaly_detection_autoencoder():
    """keras.io's Conv1D / Conv1DTranspose autoencoder: reconstruction error flags a spike."""
    t = np.arange(24 * 12, dtype="float32")
    series = np.sin(2 * np.pi * t / 24)
    time_steps = 24
    x_train = np.stack([series[i : i + time_steps] for i in range(len(series) - time_steps)])
    x_train = x_train[..., None]
    model = keras.Sequential(
        [
            layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
            layers.Conv1D(filters=8, kernel_size=7, padding="same", strides=2, activation="relu"),
            layers.Dropout(rate=0.2),
            layers.Conv1D(filters=4, kernel_size=7, padding="same", strides=2, activation="relu"),
            layers.Conv1DTranspose(
                filters=4, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1DTranspose(
                filters=8, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ]
    )
    assert model.output_shape == (None, time_steps, 1)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    history = model.fit(
        x_train,
        x_train,
        epochs=8,
        batch_size=32,
        validation_split=0.1,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")],
        verbose=0,
    )
    assert history.history["loss"][-1] < history.history["loss"][0]
    x_train_pred = model.predict(x_train, verbose=0)
    train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)
    threshold = np.max(train_mae_loss)
    spiked = x_train[:1].copy()
    spiked[0, 10:14] += 4.0
    test_mae = np.mean(np.abs(model.predict(spiked, verbose=0) - spiked), axis=1)
    assert test_mae[0, 0] > threshold


def test_masking_layer_with_lstm_over_padded_timeseries(tmp_path):
    """Masking(mask_value=0.0) before an LSTM: all-zero steps are skipped, so padding a
    series (pre or post) leaves its prediction unchanged."""
    raw = [RNG.normal(size=(k, 2)).astype("float32") for k in (3, 5, 4, 6)]
    padded = keras.utils.pad_sequences(raw, padding="post", dtype="float32")
    assert padded.shape == (4, 6, 2)
    y = np.array([s.sum() for s in raw], dtype="float32")
    model = keras.Sequential(
        [
            keras.Input((None, 2)),
            layers.Masking(mask_value=0.0),
            layers.LSTM(6, return_sequences=True),
            layers.LSTM(3),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(padded, y, epochs=2, verbose=0)
    model.evaluate(padded, y, verbose=0)
    pre = keras.utils.pad_sequences(raw, padding="pre", dtype="float32")
    want = np.concatenate([model.predict(s[None], verbose=0) for s in raw])
    np.testing.assert_allclose(model.predict(padded, verbose=0), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.predict(pre, verbose=0), want, rtol=1e-4, atol=1e-5)
    round_trip(model, padded, tmp_path)


def test_stacked_gru_and_simple_rnn_with_return_sequences(tmp_path):
    x = RNG.normal(size=(32, 6, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            layers.GRU(8, return_sequences=True),
            layers.SimpleRNN(8, return_sequences=True),
            layers.GRU(4),
            layers.Dense(1),
        ]
    )
    assert model.layers[0].output.shape == (None, 6, 8)
    # GRU biases are (2, 3 * units) (reset_after=True)
    gru_params = [3 * (3 * 8 + 8 * 8 + 2 * 8), 3 * (8 * 4 + 4 * 4 + 2 * 4)]
    assert model.count_params() == gru_params[0] + (8 * 8 + 8 * 8 + 8) + gru_params[1] + 5
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.evaluate(x, y, verbose=0)) == 2
    round_trip(model, x[:4], tmp_path)
    # SimpleRNN against numpy with the trained weights
    rnn = model.layers[1]
    seq = keras.Model(model.inputs, rnn.output).predict(x[:2], verbose=0)
    gru_seq = keras.Model(model.inputs, model.layers[0].output).predict(x[:2], verbose=0)
    kernel, recurrent, bias = rnn.get_weights()
    h = np.zeros((2, 8))
    for t in range(6):
        h = np.tanh(gru_seq[:, t] @ kernel + h @ recurrent + bias)
        np.testing.assert_allclose(seq[:, t], h, rtol=1e-4, atol=1e-5)


@keras.saving.register_keras_serializable(package="seq_audit")
class LeakyCell(layers.Layer):
    """A user cell with two states of different sizes (a state list), as the RNN guide's
    nested-state cell: h is a tanh RNN, c a leaky running mean of the inputs."""

    def __init__(self, units, leak=0.5, **kwargs):
        super().__init__(**kwargs)
        self.units, self.leak = units, leak
        self.state_size = [units, 2]
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent = self.add_weight(shape=(self.units, self.units), name="recurrent")
        self.mix = self.add_weight(shape=(2, self.units), name="mix")

    def call(self, inputs, states):
        h, c = states
        c = self.leak * c + (1 - self.leak) * inputs[:, :2]
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(h, self.recurrent))
        h = h + ops.matmul(c, self.mix)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "leak": self.leak}


def test_custom_cell_with_a_state_list_stacked_cells_and_go_backwards(tmp_path):
    x = RNG.normal(size=(16, 5, 3)).astype("float32")
    inputs = keras.Input((None, 3))
    rnn = layers.RNN(LeakyCell(4), return_sequences=True, return_state=True)
    seq, h, c = rnn(inputs)
    assert seq.shape == (None, None, 4) and h.shape == (None, 4) and c.shape == (None, 2)
    model = keras.Model(inputs, [seq, h, c])
    cell = rnn.cell
    kernel, recurrent, mix = cell.get_weights()
    hh, cc, steps = np.zeros((2, 4)), np.zeros((2, 2)), []
    for t in range(5):
        cc = 0.5 * cc + 0.5 * x[:2, t, :2]
        hh = np.tanh(x[:2, t] @ kernel + hh @ recurrent) + cc @ mix
        steps.append(hh)
    got_seq, got_h, got_c = model.predict(x[:2], verbose=0)
    np.testing.assert_allclose(got_seq, np.stack(steps, 1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_h, hh, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_c, cc, rtol=1e-4, atol=1e-5)
    backwards = layers.RNN(cell, go_backwards=True)
    np.testing.assert_allclose(
        np.asarray(backwards(x[:2])),
        model.predict(x[:2, ::-1], verbose=0)[1],
        rtol=1e-4,
        atol=1e-5,
    )
    cells = [LeakyCell(4), layers.LSTMCell(3), layers.GRUCell(2)]
    stacked = keras.Sequential([keras.Input((5, 3)), layers.RNN(cells), layers.Dense(1)])
    assert stacked.layers[0].output.shape == (None, 2)
    stacked.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    y = x.sum((1, 2))[:, None]
    history = stacked.fit(x, y, epochs=4, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    round_trip(stacked, x[:3], tmp_path)
    same = layers.RNN(layers.StackedRNNCells([LeakyCell(4), layers.LSTMCell(3)]))
    assert same(x[:2]).shape == (2, 3)


def test_time_distributed_conv_over_video_frames_into_lstm(tmp_path):
    """A video classifier: TimeDistributed(Conv2D/pooling) per frame, then an LSTM."""
    frames = RNG.random(size=(12, 4, 8, 8, 1)).astype("float32")
    y = (frames[:, :, :4].mean((1, 2, 3, 4)) > frames[:, :, 4:].mean((1, 2, 3, 4))).astype("int32")
    model = keras.Sequential(
        [
            keras.Input((None, 8, 8, 1)),
            layers.TimeDistributed(layers.Conv2D(4, 3, activation="relu")),
            layers.TimeDistributed(layers.MaxPooling2D()),
            layers.TimeDistributed(layers.Flatten()),
            layers.LSTM(8),
            layers.Dense(2, activation="softmax"),
        ]
    )
    assert model.layers[0].output.shape == (None, None, 6, 6, 4)
    assert model.layers[2].output.shape == (None, None, 36)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(frames, y, epochs=2, batch_size=4, verbose=0)
    model.evaluate(frames, y, verbose=0)
    # each frame goes through the same convolution
    per_frame = keras.Model(model.inputs, model.layers[0].output).predict(frames[:2], verbose=0)
    kernel, bias = model.layers[0].get_weights()
    conv = layers.Conv2D(4, 3, activation="relu")
    conv.build((None, 8, 8, 1))
    conv.set_weights([kernel, bias])
    np.testing.assert_allclose(
        per_frame[:, 2], np.asarray(conv(frames[:2, 2])), rtol=1e-5, atol=1e-6
    )
    round_trip(model, frames[:2], tmp_path)
