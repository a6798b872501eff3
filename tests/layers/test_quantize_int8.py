"""``quantize("int8")`` of Dense, EinsumDense and Embedding against numpy written here (abs-max
int8 kernel per output channel, inputs per row, int32 products, dequantized), the exported
ONNX file (MatMulInteger, int8 initializers, smaller), training through the quantized layer,
and Keras' errors."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers, quantizers

EPS = np.float32(1e-7)


def _quantize(x, axis):
    scale = np.float32(127) / (np.max(np.abs(x), axis=axis, keepdims=True) + EPS)
    return np.clip(np.round(x * scale), -127, 127).astype(np.int8), scale.astype("float32")


def _dense_reference(x, kernel, bias):
    qk, ks = _quantize(kernel, 0)
    qx, xs = _quantize(x, -1)
    acc = qx.astype(np.int64) @ qk.astype(np.int64)
    return acc.astype("float32") / (ks[0] * xs) + bias


def _mlp(units=(16, 3), input_dim=300):
    inputs = kgraph.Input((input_dim,))
    h = layers.Dense(units[0], activation="relu", name="d1")(inputs)
    h = layers.Dropout(0.2)(h)
    return kgraph.Model(inputs, layers.Dense(units[1], name="d2")(h))


def test_dense_int8_matches_numpy_and_export_is_integer_and_smaller():
    rng = np.random.default_rng(0)
    model = _mlp()
    x = rng.normal(size=(5, 300)).astype("float32")
    float_bytes = model.to_onnx_bytes()
    weights = [w.numpy() for w in model.weights]  # d1 kernel, bias, d2 kernel, bias
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.quantize("int8")
    assert any("Dropout does not have a `quantize`" in str(w.message) for w in caught)
    d1 = model.get_layer("d1")
    assert d1.dtype_policy.name == "int8_from_float32" and d1.quantization_mode == "int8"
    assert d1.kernel.dtype == "int8" and d1.kernel_scale.shape == (16,)
    assert [w.name for w in d1.trainable_weights] == ["bias"]
    h = np.maximum(_dense_reference(x, weights[0], weights[1]), 0)
    want = _dense_reference(h, weights[2], weights[3])
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    data = model.to_onnx_bytes()
    ops = {n.op_type for n in onnx.load_from_string(data).graph.node}
    assert "MatMulInteger" in ops and "MatMul" not in ops
    assert len(data) < len(float_bytes) - 300 * 16  # the 300x16 kernel shrank by 3 bytes each

    def initializer_bytes(blob):
        return sum(len(t.raw_data) for t in onnx.load_from_string(blob).graph.initializer)

    assert initializer_bytes(data) < 0.3 * initializer_bytes(float_bytes)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_weight_only_config_and_embedding():
    rng = np.random.default_rng(1)
    dense = layers.Dense(4, use_bias=False)
    x = rng.normal(size=(3, 6)).astype("float32")
    dense.build((None, 6))
    kernel = dense.kernel.numpy()
    dense.quantize(config=quantizers.Int8QuantizationConfig(activation_quantizer=None))
    qk, ks = _quantize(kernel, 0)
    np.testing.assert_allclose(dense(x), x @ qk.astype("float32") / ks[0], rtol=1e-6)
    emb = layers.Embedding(10, 5)
    emb.build()
    table = emb.embeddings.numpy()
    emb.quantize("int8")
    ids = np.array([[1, 9, 0]], "int32")
    qt, ts = _quantize(table, -1)
    np.testing.assert_allclose(emb(ids), qt[ids].astype("float32") / ts[ids], rtol=1e-7)
    assert emb.embeddings.dtype == "int8" and emb.embeddings_scale.shape == (10,)


def test_einsum_dense_int8_matches_numpy():
    rng = np.random.default_rng(2)
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="e")
    x = rng.normal(size=(2, 4, 7)).astype("float32")
    layer.build((None, 4, 7))
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    layer.quantize("int8")
    qk, ks = _quantize(kernel, 0)  # (1, 2, 3)
    qx, xs = _quantize(x, 2)  # (2, 4, 1)
    acc = np.einsum("abc,cde->abde", qx.astype(np.int64), qk.astype(np.int64))
    want = acc.astype("float32") / (xs[..., None] * ks[None]) + bias
    np.testing.assert_allclose(layer(x), want, rtol=1e-6, atol=1e-7)
    assert layer.kernel_scale.shape == (1, 1, 2, 3)  # laid out against the output, as Keras


def test_training_a_quantized_model_updates_float_weights_only():
    rng = np.random.default_rng(3)
    model = _mlp(units=(4, 2), input_dim=3)
    model.get_layer("d2").quantize("int8")
    frozen = model.get_layer("d2").kernel.numpy().copy()
    model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse")
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    before = model.get_layer("d1").kernel.numpy().copy()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.get_layer("d2").kernel.numpy(), frozen)
    assert not np.allclose(model.get_layer("d1").kernel.numpy(), before)


def test_errors_as_keras():
    unbuilt = layers.Dense(2)
    with pytest.raises(ValueError, match="isn't yet built"):
        unbuilt.quantize("int8")
    dense = layers.Dense(2)
    dense.build((None, 3))
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        dense.quantize("int2")
    with pytest.raises(ValueError, match="provide either `mode` or `config`"):
        dense.quantize()
    with pytest.raises(NotImplementedError, match="mode='int8' only"):
        dense.quantize("int4")
    dense.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        dense.quantize("int8")

    class MyDense(layers.Dense):
        pass

    sub = MyDense(2)
    sub.build((None, 3))
    with pytest.raises(NotImplementedError, match="MyDense does not have a `quantize`"):
        sub.quantize("int8")
    model = _mlp()
    with pytest.raises(NotImplementedError, match="mode='int8' only"):
        model.quantize("float8")
    with pytest.raises(ValueError, match="`filters` argument"):
        model.quantize("int8", filters=3)
    model.quantize("int8", filters="d2")
    assert model.get_layer("d1").quantization_mode is None
    assert model.get_layer("d2").quantization_mode == "int8"


def test_einsum_dense_with_ellipsis_quantizes():
    """Keras 3.15's quantize fails on ``...`` equations; kgraph quantizes them alike."""
    layer = layers.EinsumDense("...b,bc->...c", output_shape=4, bias_axes="c")
    layer.build((None, 3, 5))
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    layer.quantize("int8")
    x = np.random.default_rng(4).normal(size=(2, 3, 5)).astype("float32")
    qk, ks = _quantize(kernel, 0)
    qx, xs = _quantize(x, -1)
    want = (qx.astype(np.int64) @ qk.astype(np.int64)).astype("float32") / (xs * ks) + bias
    np.testing.assert_allclose(layer(x), want, rtol=1e-6, atol=1e-7)
    assert layer.kernel_scale.shape == (1, 1, 4)
