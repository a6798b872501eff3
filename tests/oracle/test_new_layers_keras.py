"""Oracle: ConvLSTM1D/2D/3D, ReversibleEmbedding and the spectrogram layers in
real Keras (JAX) and in kgraph, with the same weights, give the same outputs; a ConvLSTM fit
step ends with the same loss and weights (HashedCrossing needs TensorFlow in Keras: its
recorded outputs are in tests/layers/test_new_layers_2.py)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

CONV_LSTM_CASES = [
    ("ConvLSTM2D", (2, 4, 5, 6, 3), dict(filters=2, kernel_size=3)),
    (
        "ConvLSTM2D",
        (2, 3, 5, 5, 2),
        dict(filters=3, kernel_size=(3, 2), padding="same", return_sequences=True),
    ),
    (
        "ConvLSTM2D",
        (2, 3, 7, 7, 2),
        dict(filters=2, kernel_size=3, strides=2, return_state=True, go_backwards=True),
    ),
    pytest.param(  # the CI set keeps the other configurations (`-m slow` runs all)
        "ConvLSTM2D",
        (2, 3, 7, 6, 2),
        dict(
            filters=2,
            kernel_size=2,
            dilation_rate=2,
            use_bias=False,
            activation="relu",
            recurrent_activation="hard_sigmoid",
        ),
        marks=pytest.mark.slow,
    ),
    (
        "ConvLSTM2D",
        (2, 3, 2, 5, 4),
        dict(
            filters=2,
            kernel_size=3,
            padding="same",
            data_format="channels_first",
            return_state=True,
            return_sequences=True,
        ),
    ),
    (
        "ConvLSTM1D",
        (2, 4, 6, 3),
        dict(filters=3, kernel_size=3, padding="same", return_sequences=True, go_backwards=True),
    ),
    pytest.param(
        "ConvLSTM1D",
        (2, 3, 3, 7),
        dict(filters=2, kernel_size=2, strides=2, data_format="channels_first"),
        marks=pytest.mark.slow,
    ),
    ("ConvLSTM3D", (1, 3, 4, 4, 3, 2), dict(filters=2, kernel_size=2, return_state=True)),
]


def _plain(config):
    """A config without its name and dtype (kgraph writes the dtype as a string)."""
    return {k: v for k, v in config.items() if k not in ("name", "dtype")}


def _random_weights(layer, rng):
    return [rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in layer.weights]


@pytest.mark.parametrize("name, shape, kwargs", CONV_LSTM_CASES)
def test_conv_lstm_matches_keras(name, shape, kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    inputs = kgraph.Input(shape[1:])
    ours = getattr(kgraph.layers, name)(**kwargs)
    model = kgraph.Model(inputs, ours(inputs))
    weights = _random_weights(ours, rng)
    ours.set_weights(weights)
    theirs = getattr(keras.layers, name)(**kwargs)
    theirs.build(shape)
    assert [tuple(v.shape) for v in theirs.weights] == [w.shape for w in weights]
    assert [v.path.split("/")[-1] for v in theirs.weights] == [w.name for w in ours.weights]
    theirs.set_weights(weights)
    expected = theirs(x, training=False)
    got = model.predict(x, verbose=0)
    eager = ours(x)
    if not kwargs.get("return_state"):
        expected, got, eager = [expected], [got], [eager]
    assert len(got) == len(expected) == len(eager)
    for a, b, c in zip(got, expected, eager):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(c), np.asarray(b), rtol=1e-5, atol=1e-5)
    shapes = theirs.compute_output_shape(shape)
    assert ours.compute_output_shape(shape) == shapes


def test_bidirectional_conv_lstm_matches_keras():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 4, 4, 2)).astype(np.float32)
    kwargs = dict(filters=2, kernel_size=3, padding="same", return_sequences=True)
    ours = kgraph.layers.Bidirectional(kgraph.layers.ConvLSTM2D(**kwargs))
    theirs = keras.layers.Bidirectional(keras.layers.ConvLSTM2D(**kwargs))
    ours.build(x.shape)
    theirs.build(x.shape)
    weights = _random_weights(ours, rng)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    inputs = kgraph.Input(x.shape[1:])
    got = kgraph.Model(inputs, ours(inputs)).predict(x, verbose=0)
    np.testing.assert_allclose(got, np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)


def test_conv_lstm_keras_files_interchange(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 5, 5, 2)).astype(np.float32)
    inputs = kgraph.Input((3, 5, 5, 2))
    hidden = kgraph.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)(inputs)
    hidden = kgraph.layers.ConvLSTM2D(1, 2, data_format="channels_first")(hidden)
    model = kgraph.Model(inputs, kgraph.layers.Dense(1)(kgraph.layers.Flatten()(hidden)))
    model.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype(np.float32) for w in model.weights])
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(theirs(x)), expected, rtol=1e-5, atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = kgraph.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)


def test_conv_lstm_config_and_initial_bias_match_keras():
    ours, theirs = kgraph.layers.ConvLSTM2D(3, 2), keras.layers.ConvLSTM2D(3, 2)
    ours.build((None, 2, 4, 4, 2))
    theirs.build((None, 2, 4, 4, 2))
    np.testing.assert_array_equal(ours.get_weights()[-1], theirs.get_weights()[-1])
    assert set(theirs.get_config()) == set(ours.get_config())
    clone = kgraph.layers.ConvLSTM2D.from_config(theirs.get_config())
    assert clone.get_config() == ours.get_config() | {"name": clone.name}


def _conv_lstm_model(lib):
    inputs = lib.Input((3, 5, 5, 2))
    x = lib.layers.ConvLSTM2D(3, 3, padding="same", name="clstm")(inputs)
    x = lib.layers.Flatten(name="flatten")(x)
    return lib.Model(inputs, lib.layers.Dense(1, name="dense")(x))


@pytest.mark.slow  # ~12 s, mostly JAX compiling Keras' train step; test_conv_lstm.py checks
def test_conv_lstm_fit_matches_keras():  # the gradients by finite differences in the default run
    rng = np.random.default_rng(1)
    ours, theirs = _conv_lstm_model(kgraph), _conv_lstm_model(keras)
    for layer in ours.layers:
        if layer.weights:
            values = _random_weights(layer, rng)
            layer.set_weights(values)
            theirs.get_layer(layer.name).set_weights(values)
    x = rng.standard_normal((16, 3, 5, 5, 2)).astype(np.float32)
    y = rng.standard_normal((16, 1)).astype(np.float32)
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    before = ours.get_layer("clstm").get_weights()
    got = ours.fit(x, y, batch_size=8, shuffle=False, verbose=0).history["loss"]
    want = theirs.fit(x, y, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for layer in ("clstm", "dense"):
        for old, have, expect in zip(
            before if layer == "clstm" else [None] * 2,
            ours.get_layer(layer).get_weights(),
            theirs.get_layer(layer).get_weights(),
        ):
            if old is not None:
                assert np.abs(have - old).max() > 1e-4, f"{layer} did not train"
            np.testing.assert_allclose(have, expect, rtol=1e-4, atol=1e-6, err_msg=layer)


@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(tie_weights=False, logit_soft_cap=2.0), dict(mask_zero=True, logit_soft_cap=0.5)],
)
def test_reversible_embedding_matches_keras(kwargs):
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 10, (3, 5))
    ids[:, -1] = 0
    ours = kgraph.layers.ReversibleEmbedding(10, 4, **kwargs)
    theirs = keras.layers.ReversibleEmbedding(10, 4, **kwargs)
    ours.build(None)
    theirs.build(None)
    assert [v.path.split("/")[-1] for v in theirs.weights] == [w.name for w in ours.weights]
    weights = _random_weights(ours, rng)
    ours.set_weights(weights)
    theirs.set_weights(weights)
    inputs = kgraph.Input((5,), dtype="int32")
    hidden = ours(inputs)
    model = kgraph.Model(inputs, [hidden, ours(hidden, reverse=True)])
    want_hidden = theirs(ids)
    want_logits = theirs(want_hidden, reverse=True)
    got_hidden, got_logits = model.predict(ids, verbose=0)
    np.testing.assert_allclose(got_hidden, np.asarray(want_hidden), rtol=1e-6)
    np.testing.assert_allclose(got_logits, np.asarray(want_logits), rtol=1e-5, atol=1e-6)
    if kwargs.get("mask_zero"):
        np.testing.assert_array_equal(np.asarray(hidden._keras_mask is not None), True)
        np.testing.assert_array_equal(np.asarray(want_hidden._keras_mask), ids != 0)
    assert set(theirs.get_config()) - set(ours.get_config()) <= {"quantization_config"}


STFT_CASES = [
    dict(frame_length=64, frame_step=16),
    dict(mode="psd", frame_length=32, fft_length=64, padding="same", expand_dims=True),
    dict(
        mode="stft",
        frame_length=30,
        frame_step=10,
        data_format="channels_first",
        scaling="spectrum",
        periodic=True,
    ),
    dict(mode="angle", frame_length=16, window="hamming", expand_dims=True),
    dict(mode="magnitude", frame_length=16, window=None, scaling=None),
    dict(mode="real", frame_length=20, frame_step=7, data_format="channels_first"),
    dict(mode="imag", frame_length=20, frame_step=20, padding="same"),
]


@pytest.mark.parametrize("kwargs", STFT_CASES)
def test_stft_spectrogram_matches_keras(kwargs):
    rng = np.random.default_rng(5)
    first = kwargs.get("data_format") == "channels_first"
    x = rng.standard_normal((2, 3, 200) if first else (2, 200, 3)).astype(np.float32)
    theirs = keras.layers.STFTSpectrogram(**kwargs)
    want = np.asarray(theirs(x))
    ours = kgraph.layers.STFTSpectrogram(**kwargs)
    inputs = kgraph.Input((None, *x.shape[2:]) if not first else (3, None))
    model = kgraph.Model(inputs, ours(inputs))
    # Keras draws the DFT kernels in float32, kgraph in float64 then rounds: copy Keras'.
    initial = ours.get_weights()
    for have, keras_value in zip(initial, theirs.get_weights()):
        np.testing.assert_allclose(have, keras_value, atol=5e-6)
    ours.set_weights(theirs.get_weights())
    got = model.predict(x, verbose=0)
    assert got.shape == want.shape == tuple(ours.compute_output_shape(x.shape))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-5)
    assert _plain(ours.get_config()) == _plain(theirs.get_config())


MEL_CASES = [
    dict(fft_length=256, sequence_stride=64, num_mel_bins=20, sampling_rate=8000),
    dict(
        fft_length=128,
        sequence_stride=50,
        sequence_length=100,
        num_mel_bins=16,
        power_to_db=False,
        mag_exp=1.0,
        window="hamming",
    ),
    pytest.param(
        dict(
            fft_length=64,
            sequence_stride=32,
            num_mel_bins=8,
            top_db=20.0,
            ref_power=2.0,
            min_freq=100.0,
            max_freq=3000,
        ),
        marks=pytest.mark.slow,
    ),
]


@pytest.mark.parametrize("kwargs", MEL_CASES)
def test_mel_spectrogram_matches_keras(kwargs):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 1000)).astype(np.float32)
    want = np.asarray(keras.layers.MelSpectrogram(**kwargs)(x))
    layer = kgraph.layers.MelSpectrogram(**kwargs)
    inputs = kgraph.Input((1000,))
    got = kgraph.Model(inputs, layer(inputs)).predict(x, verbose=0)
    scale = np.abs(want).max()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-6 * scale)
    assert got.shape == layer.compute_output_shape(x.shape)
    theirs = keras.layers.MelSpectrogram(**kwargs).get_config()
    clone = kgraph.layers.MelSpectrogram.from_config(theirs)
    assert _plain(clone.get_config()) == _plain(theirs)


def test_mel_spectrogram_of_one_unbatched_signal_matches_keras():
    """A 1D signal, eagerly. Short: eager ``ops.stft`` of a 1D signal whose reflect-pad index
    constant exceeds serde's LARGE_INITIALIZER fails ONNX data propagation (reported)."""
    x = np.random.default_rng(7).standard_normal(30).astype(np.float32)
    kwargs = dict(fft_length=16, sequence_stride=8, num_mel_bins=6, sampling_rate=4000)
    want = np.asarray(keras.layers.MelSpectrogram(**kwargs)(x))
    got = np.asarray(kgraph.layers.MelSpectrogram(**kwargs)(x))
    assert got.shape == want.shape == (6, 4)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
