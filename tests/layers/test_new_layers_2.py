"""ReversibleEmbedding, HashedCrossing, Wrapper, STFTSpectrogram and MelSpectrogram against
numpy references written here (the Keras oracle is tests/oracle/test_new_layers_keras.py)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test

farmhash = pytest.importorskip("farmhash")


# ReversibleEmbedding ---------------------------------------------------------------------


@pytest.mark.parametrize("tie_weights", [True, False])
def test_reversible_embedding_reverse_matches_numpy(tie_weights):
    def reference(h, w):
        kernel = w[0].T if tie_weights else w[1]
        return 3.0 * np.tanh((h.astype(np.float64) @ kernel) / 3.0)

    layer = layers.ReversibleEmbedding(7, 4, tie_weights=tie_weights, logit_soft_cap=3.0)
    layer.build(None)
    rng = np.random.default_rng(0)
    weights = [rng.uniform(-1, 1, w.shape).astype(np.float32) for w in layer.weights]
    layer.set_weights(weights)
    ids = rng.integers(0, 7, (2, 5))
    inputs = kgraph.Input((5,), dtype="int64")
    model = kgraph.Model(inputs, layer(layer(inputs), reverse=True))
    want = reference(weights[0][ids], weights)
    np.testing.assert_allclose(model.predict(ids, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((2, 5, 4), reverse=True) == (2, 5, 7)
    assert layer.compute_output_shape((2, 5)) == (2, 5, 4)


def test_reversible_embedding_trains_tied_weights():
    """A language-model head sharing the table: both uses feed the one gradient (SGD with
    learning rate 1 subtracts it; checked against the analytic numpy gradient)."""
    rng = np.random.default_rng(1)
    layer = layers.ReversibleEmbedding(5, 3)
    inputs = kgraph.Input((4,), dtype="int64")
    model = kgraph.Model(inputs, layer(layer(inputs), reverse=True))
    table = rng.uniform(-1, 1, (5, 3)).astype(np.float32)
    layer.set_weights([table])
    ids = rng.integers(0, 5, (2, 4))
    y = rng.standard_normal((2, 4, 5)).astype(np.float32)
    model.compile(optimizer=kgraph.optimizers.SGD(1.0), loss="mse")
    model.fit(ids, y, batch_size=2, shuffle=False, verbose=0)
    e = table.astype(np.float64)
    h = e[ids]
    g_logits = 2 * (h @ e.T - y) / y.size
    grad = np.einsum("bti,btj->ij", g_logits, h)  # through the reverse projection
    np.add.at(grad, ids, g_logits @ e)  # through the lookup
    np.testing.assert_allclose(table - layer.get_weights()[0], grad, rtol=1e-4, atol=1e-6)


def test_reversible_embedding_mask_and_reverse_dtype():
    layer = layers.ReversibleEmbedding(6, 2, mask_zero=True, reverse_dtype="float64")
    ids = np.array([[1, 0, 2]])
    hidden = layer(kgraph.Input((3,), dtype="int64"))
    assert hidden._keras_mask is not None
    assert layer(hidden, reverse=True).dtype == "float64"
    assert layer.compute_mask(ids) is None
    config = layer.get_config()
    assert config["reverse_dtype"] == "float64" and config["tie_weights"] is True
    assert layers.ReversibleEmbedding.from_config(config).get_config() == config


# HashedCrossing ---------------------------------------------------------------------------

MUL = 0xC6A4A7935BD1E995
M64 = 2**64 - 1


def _cat64(fp1, fp2):
    """FarmHash's FingerprintCat64 in Python integers."""

    def shift_mix(v):
        return v ^ (v >> 47)

    result = fp1 ^ MUL
    result ^= (shift_mix((fp2 * MUL) & M64) * MUL) & M64
    result = (result * MUL) & M64
    return shift_mix((shift_mix(result) * MUL) & M64)


def numpy_cross(columns, num_bins):
    out = []
    for values in zip(*[np.ravel(c).tolist() for c in columns]):
        h = 0xDECAFCAFFE
        for v in values:
            v = farmhash.fingerprint64(v) if isinstance(v, str) else int(v) & M64
            h = _cat64(h, v)
        out.append(h % num_bins)
    return np.array(out).reshape(np.shape(columns[0]))


def test_hashed_crossing_graph_and_numpy_match_reference():
    rng = np.random.default_rng(2)
    a = rng.integers(-(2**62), 2**62, (64, 1))
    b = rng.integers(-5, 5, (64, 1)).astype(np.int32)
    layer = layers.HashedCrossing(1009)
    inputs = [kgraph.Input((1,), dtype="int64"), kgraph.Input((1,), dtype="int32")]
    model = kgraph.Model(inputs, layer(inputs))
    want = numpy_cross([a, b], 1009)
    np.testing.assert_array_equal(model.predict([a, b], verbose=0), want)
    np.testing.assert_array_equal(np.asarray(layer([a, b])), want)
    words = np.array(["red", "green", "blue", ""])
    np.testing.assert_array_equal(
        np.asarray(layer([words, np.arange(4)])), numpy_cross([words, np.arange(4)], 1009)
    )


def test_hashed_crossing_one_hot_in_a_graph():
    a, b = np.arange(6).reshape(6, 1), np.arange(6, 12).reshape(6, 1)
    layer = layers.HashedCrossing(4, output_mode="one_hot")
    inputs = [kgraph.Input((1,), dtype="int64") for _ in range(2)]
    model = kgraph.Model(inputs, layer(inputs))
    got = model.predict([a, b], verbose=0)
    assert got.shape == (6, 4) == layer.compute_output_shape([(6, 1), (6, 1)])
    np.testing.assert_array_equal(got, np.eye(4)[numpy_cross([a, b], 4).ravel()])


def test_hashed_crossing_errors():
    with pytest.raises(ValueError, match="list or tuple"):
        layers.HashedCrossing(3)(np.arange(3))
    with pytest.raises(ValueError, match="at least two"):
        layers.HashedCrossing(3)([np.arange(3)])
    with pytest.raises(ValueError, match="equal shape"):
        layers.HashedCrossing(3)([np.arange(3), np.arange(4)])
    with pytest.raises(ValueError, match="integer or string"):
        layers.HashedCrossing(3)([np.ones(3), np.arange(3)])
    with pytest.raises(ValueError, match="output_mode"):
        layers.HashedCrossing(3, output_mode="multi_hot")
    with pytest.raises(ValueError, match="sparse"):
        layers.HashedCrossing(3, sparse=True)
    strings = [kgraph.Input((1,), dtype="string"), kgraph.Input((1,), dtype="int64")]
    model = kgraph.Model(strings, layers.HashedCrossing(3, name="cross")(strings))
    with pytest.raises(ValueError, match=r"'cross'.*strings"):
        model.to_onnx_bytes()


# tf.sparse.cross_hashed outputs (Keras' HashedCrossing needs TensorFlow, which the oracle
# environment lacks): computed once with TensorFlow 2.21 / Keras 3.15.1, as
# keras.layers.HashedCrossing(num_bins)(columns); the last case is Keras' docstring example.
HASHED_CROSSING_CASES = [
    (
        [[0, 1, -1, 7, 2**40, -(2**63), 2**63 - 1, 123456789], [5, 5, 3, -9, 11, 0, 1, 42]],
        1000,
        [98, 733, 339, 460, 718, 501, 963, 687],
    ),
    (
        [np.int32([1, 2, 3, 4]), np.int32([9, 8, 7, 6]), np.int32([0, 0, 1, 1])],
        97,
        [49, 20, 15, 13],
    ),
    (
        [["A", "B", "hello", "", "a longer string of text here!!"], ["x", "yy", "zzz", "w", "v"]],
        2**31,
        [1698962786, 850923530, 336044368, 1099744509, 1044161006],
    ),
    ([["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102]], 5, [1, 4, 1, 1, 3]),
]


@pytest.mark.parametrize("columns, num_bins, want", HASHED_CROSSING_CASES)
def test_hashed_crossing_matches_tensorflow(columns, num_bins, want):
    columns = [np.asarray(c) for c in columns]
    layer = kgraph.layers.HashedCrossing(num_bins)
    got = np.asarray(layer(columns))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
    if all(c.dtype.kind in "iu" for c in columns) and num_bins <= 2**31:  # compiled graph
        inputs = [kgraph.Input((1,), dtype=str(c.dtype)) for c in columns]
        model = kgraph.Model(inputs, layer(inputs))
        predicted = model.predict([c[:, None] for c in columns], verbose=0)
        np.testing.assert_array_equal(predicted.ravel(), want)


def test_hashed_crossing_one_hot_and_config_match_tensorflow():
    layer = kgraph.layers.HashedCrossing(4, output_mode="one_hot")
    np.testing.assert_array_equal(  # TensorFlow's bins for these are 0 and 2
        np.asarray(layer([np.array([[3], [4]]), np.array([[1], [2]])])),
        [[1, 0, 0, 0], [0, 0, 1, 0]],
    )
    np.testing.assert_array_equal(
        np.asarray(
            kgraph.layers.HashedCrossing(3, output_mode="one_hot")([np.array(3), np.array(4)])
        ),
        [[0, 1, 0]],
    )
    # Keras' get_config of HashedCrossing(7, output_mode="one_hot", name="x")
    config = {"num_bins": 7, "output_mode": "one_hot", "sparse": False, "name": "x"}
    config["dtype"] = "float32"
    assert kgraph.layers.HashedCrossing.from_config(config).get_config() == config


# Wrapper -----------------------------------------------------------------------------------


class Residual(layers.Wrapper):
    """A user's wrapper: ``x + layer(x)``."""

    def call(self, inputs):
        return inputs + self.layer(inputs)


def test_wrapper_subclass_tracks_builds_serializes_and_trains():
    inner = layers.Dense(3, name="inner")
    wrapper = Residual(inner, name="res")
    inputs = kgraph.Input((3,))
    model = kgraph.Model(inputs, wrapper(inputs))
    assert inner.built and [w.path for w in wrapper.weights] == ["inner/kernel", "inner/bias"]
    rng = np.random.default_rng(3)
    kernel = rng.standard_normal((3, 3)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    inner.set_weights([kernel, bias])
    x = rng.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), x + x @ kernel + bias, rtol=1e-5)
    config = wrapper.get_config()
    assert config["layer"]["class_name"] == "Dense" and config["name"] == "res"
    clone = Residual.from_config(config)
    assert isinstance(clone.layer, layers.Dense) and clone.layer.units == 3
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros_like(x), verbose=0)
    assert not np.allclose(inner.get_weights()[0], kernel)
    with pytest.raises(ValueError, match="isn't a supported layer type"):
        Residual("dense")


# STFTSpectrogram and MelSpectrogram -------------------------------------------------------


def numpy_stft(x, frame_length, step, fft_length, mode):
    """channels_last ``(batch, time, channels)`` to ``(batch, frames, channels * bins)``:
    a periodic=False Hann window, density scaling, 'valid' framing."""
    n = np.arange(frame_length)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / (frame_length - 1))
    window = window / np.sqrt(np.sum(window**2))
    frames = (x.shape[1] - frame_length) // step + 1
    index = np.arange(frames)[:, None] * step + n
    framed = x.astype(np.float64)[:, index, :] * window[:, None]  # (b, frames, n, c)
    spectrum = np.fft.rfft(framed, n=fft_length, axis=2)  # (b, frames, bins, c)
    spectrum = np.moveaxis(spectrum, 3, 2)  # (b, frames, c, bins)
    value = {"magnitude": np.abs(spectrum), "real": spectrum.real}[mode]
    return value.reshape(value.shape[0], frames, -1)


@pytest.mark.parametrize("mode", ["magnitude", "real"])
def test_stft_spectrogram_matches_numpy_fft(mode):
    kwargs = dict(mode=mode, frame_length=16, frame_step=5, fft_length=32)
    run_layer_test(
        layers.STFTSpectrogram,
        kwargs,
        input_shape=(2, 40, 2),
        expected_output_shape=(2, 5, 2 * 17),
        reference=lambda x, w: numpy_stft(x, 16, 5, 32, mode),
        randomize_weights=False,
        expected_num_trainable_weights=2 if mode == "magnitude" else 1,
        atol=2e-5,
    )


def test_stft_spectrogram_arguments():
    with pytest.raises(ValueError, match="frame_step"):
        layers.STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="fft_length"):
        layers.STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match="mode"):
        layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="Padding"):
        layers.STFTSpectrogram(padding="causal")
    with pytest.warns(UserWarning, match="power of two"):
        layers.STFTSpectrogram(frame_length=8, fft_length=12)
    with pytest.raises(TypeError, match="Invalid input type"):
        layers.STFTSpectrogram(frame_length=8)(np.zeros((1, 16, 1), np.int32))


def test_mel_spectrogram_matches_numpy():
    """No dB scale, one mel band: the band's triangle weights over |rfft|^2 of the centred,
    reflect-padded, periodic-Hann frames."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 64)).astype(np.float32)
    kwargs = dict(fft_length=16, sequence_stride=8, num_mel_bins=3, sampling_rate=1600)
    got = np.asarray(layers.MelSpectrogram(power_to_db=False, **kwargs)(x))
    padded = np.pad(x[0].astype(np.float64), 8, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16)
    frames = np.stack([padded[i : i + 16] for i in range(0, len(padded) - 15, 8)])
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2  # (frames, 9)
    mel = lambda f: 1127.0 * np.log(1 + f / 700.0)
    edges = np.linspace(mel(20.0), mel(800.0), 5)
    bins = mel(np.linspace(0, 800, 9))
    tri = np.maximum(
        0,
        np.minimum(
            (bins[:, None] - edges[None, :3]) / (edges[1:4] - edges[:3]),
            (edges[None, 2:] - bins[:, None]) / (edges[2:] - edges[1:4]),
        ),
    )
    tri[0] = 0.0
    np.testing.assert_allclose(got[0], (power @ tri).T, rtol=1e-4, atol=1e-5)
    assert got.shape == layers.MelSpectrogram(**kwargs).compute_output_shape((1, 64))


def test_wrapper_hierarchy_as_keras():
    """TimeDistributed and SpectralNormalization are Wrappers in Keras; Bidirectional is not."""
    assert isinstance(layers.TimeDistributed(layers.Dense(2)), layers.Wrapper)
    assert isinstance(layers.SpectralNormalization(layers.Dense(2)), layers.Wrapper)
    assert not isinstance(layers.Bidirectional(layers.LSTM(2)), layers.Wrapper)
    with pytest.raises(ValueError, match="Please initialize `TimeDistributed`"):
        layers.TimeDistributed("dense")
