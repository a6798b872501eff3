"""Oracle: ``model.quantize("int8")`` in kgraph against Keras 3.15 (jax backend) on the same
float weights: the int8 weights and scales (values, shapes, order), the predictions (through
``predict`` and the exported ONNX file run by onnxruntime), ``.keras`` files both ways, and a
training step through a quantized layer."""

from __future__ import annotations

import warnings

import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from kgraph import quantizers
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS


def _tokens_model(k):
    tokens = k.Input((6,), dtype="int32")
    e = k.layers.Embedding(40, 8, name="emb")(tokens)
    h = k.layers.EinsumDense("abc,cde->abde", (6, 4, 5), bias_axes="de", name="heads")(e)
    h = k.layers.Reshape((6, 20))(h)
    h = k.layers.EinsumDense("abc,cd->abd", (6, 7), activation="relu", name="proj")(h)
    h = k.layers.EinsumDense("abc,bcd->ad", (3,), name="pool")(h)
    return k.Model(tokens, k.layers.Dense(2, name="out")(h))


def _dense_model(k):
    x = k.Input((300,))
    h = k.layers.Dense(32, activation="tanh", name="d1")(x)
    h = k.layers.Dense(16, name="d2")(h)
    return k.Model(x, k.layers.Dense(3, use_bias=False, name="d3")(h))


#: The Embedding/EinsumDense model's cases run with ``-m slow`` (~7 s each); the layers'
#: int8 numerics are checked against numpy in tests/layers/test_quantize_int8.py either way.
BUILDS = [_dense_model, pytest.param(_tokens_model, marks=pytest.mark.slow)]


def _pair(build, seed):
    rng = np.random.default_rng(seed)
    km, gm = build(keras), build(kgraph)
    weights = [rng.normal(scale=0.3, size=w.shape).astype("float32") for w in km.get_weights()]
    km.set_weights(weights)
    gm.set_weights(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km.quantize("int8")
        gm.quantize("int8")
    return km, gm


def _inputs(build, rng):
    if build is _tokens_model:
        return rng.integers(0, 40, (5, 6)).astype("int32")
    return rng.normal(size=(5, 300)).astype("float32")


@pytest.mark.parametrize("build", BUILDS)
def test_quantized_weights_and_outputs_match_keras(build):
    km, gm = _pair(build, 0)
    assert [(w.path, w.dtype, tuple(w.shape)) for w in km.weights] == [
        (w.path, w.dtype, tuple(w.shape)) for w in gm.weights
    ]
    for kw, gw in zip(km.get_weights(), gm.get_weights()):
        np.testing.assert_allclose(gw, kw, rtol=1e-6)
    for kl in (layer for layer in km.layers if layer.weights):
        assert kl.dtype_policy.name == gm.get_layer(kl.name).dtype_policy.name
    x = _inputs(build, np.random.default_rng(1))
    want = np.asarray(km.predict(x, verbose=0))
    np.testing.assert_allclose(gm.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    session = ort.InferenceSession(gm.to_onnx_bytes(), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", BUILDS)
def test_keras_files_load_both_ways(build, tmp_path):
    km, gm = _pair(build, 2)
    x = _inputs(build, np.random.default_rng(3))
    want = np.asarray(km.predict(x, verbose=0))
    km.save(tmp_path / "k.keras")
    gm.save(tmp_path / "g.keras")
    from_keras = kgraph.saving.load_model(tmp_path / "k.keras")  # no custom objects needed
    from_kgraph = keras.saving.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_kgraph.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert from_keras.get_layer("d1" if build is _dense_model else "proj").kernel.dtype == "int8"


def test_quantize_after_loading_float_weights(tmp_path):
    km = _dense_model(keras)
    km.save_weights(tmp_path / "w.weights.h5")
    gm = _dense_model(kgraph)
    gm.load_weights(tmp_path / "w.weights.h5")
    km.quantize("int8")
    gm.quantize("int8")
    x = _inputs(_dense_model, np.random.default_rng(4))
    want = np.asarray(km.predict(x, verbose=0))
    np.testing.assert_allclose(gm.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", BUILDS)
def test_training_through_quantized_layers_matches_keras(build):
    km, gm = _pair(build, 5)
    rng = np.random.default_rng(6)
    x = _inputs(build, rng)
    y = rng.normal(size=(len(x), 3 if build is _dense_model else 2)).astype("float32")
    km.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    gm.compile(optimizer=kgraph.optimizers.SGD(0.05), loss="mse")
    km.fit(x, y, batch_size=len(x), epochs=2, verbose=0, shuffle=False)
    gm.fit(x, y, batch_size=len(x), epochs=2, verbose=0, shuffle=False)
    for kw, gw in zip(km.get_weights(), gm.get_weights()):
        np.testing.assert_allclose(gw, kw, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_int4_packing_matches_keras(axis, dtype):
    rng = np.random.default_rng(7)
    low, high = (-8, 8) if dtype == "int8" else (0, 16)
    values = rng.integers(low, high, (5, 3)).astype(dtype)
    want, want_shape, want_len = keras.quantizers.pack_int4(values, axis=axis, dtype=dtype)
    got, shape, length = quantizers.pack_int4(values, axis=axis, dtype=dtype)
    np.testing.assert_array_equal(got, np.asarray(want))
    assert (shape, length) == (tuple(want_shape), want_len)
    back = keras.quantizers.unpack_int4(want, want_len, axis=axis, dtype=dtype)
    np.testing.assert_array_equal(quantizers.unpack_int4(got, length, axis, dtype), back)
    np.testing.assert_array_equal(np.asarray(back), values)


@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_abs_max_quantize_matches_keras(axis):
    x = np.random.default_rng(8).normal(size=(3, 4, 5)).astype("float32")
    want_q, want_s = keras.quantizers.abs_max_quantize(x, axis)
    got_q, got_s = quantizers.abs_max_quantize(x, axis)
    np.testing.assert_array_equal(np.asarray(got_q), np.asarray(want_q))
    np.testing.assert_array_equal(np.asarray(got_s), np.asarray(want_s))
    amax, scale = np.array([3.0, 0.0, np.inf], "float32"), np.array([0.5, 2.0, 4.0], "float32")
    np.testing.assert_allclose(
        quantizers.compute_float8_scale(amax, scale, 448.0, margin=2),
        keras.quantizers.compute_float8_scale(amax, scale, 448.0, margin=2),
        rtol=1e-7,
    )
    got = quantizers.quantize_and_dequantize(x * 100, 0.5, "float8_e4m3fn", "float32")
    want = keras.quantizers.quantize_and_dequantize(x * 100, 0.5, "float8_e4m3fn", "float32")
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def _fake_quant_model(k, fake_quant, per_channel):
    class FakeQuant(k.layers.Layer):
        def build(self, input_shape):
            shape = (input_shape[-1],) if per_channel else ()
            init = k.initializers.Constant
            self.low = self.add_weight(shape=shape, initializer=init(-0.4), name="low")
            self.high = self.add_weight(shape=shape, initializer=init(0.3), name="high")

        def call(self, inputs):
            axis = -1 if per_channel else None
            return fake_quant(inputs, self.low, self.high, num_bits=4, axis=axis)

    x = k.Input((3,))
    h = FakeQuant()(k.layers.Dense(5, name="d1")(x))
    return k.Model(x, k.layers.Dense(2, name="d2")(h))


@pytest.mark.parametrize("per_channel", [False, True])
def test_fake_quant_values_and_training_gradients_match_keras(per_channel):
    rng = np.random.default_rng(9)
    km = _fake_quant_model(keras, keras.quantizers.fake_quant_with_min_max_vars, per_channel)
    gm = _fake_quant_model(kgraph, quantizers.fake_quant_with_min_max_vars, per_channel)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in km.get_weights()]
    weights = [w if w.ndim > 1 else np.asarray(k.numpy()) for w, k in zip(weights, km.weights)]
    km.set_weights(weights)
    gm.set_weights(weights)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    want = np.asarray(km.predict(x, verbose=0))
    np.testing.assert_allclose(gm.predict(x, verbose=0), want, rtol=1e-6, atol=1e-7)
    km.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    gm.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse")
    km.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    gm.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
    for kw, gw in zip(km.get_weights(), gm.get_weights()):
        assert not np.array_equal(kw, np.zeros_like(kw))
        np.testing.assert_allclose(gw, kw, rtol=1e-5, atol=1e-6)
