"""ReadableOpsPass and FoldMatMulAffinePass: the inference graph shows ONNX's single ops (Gelu,
Mish, LayerNormalization, BatchNormalization) or folds BatchNormalization into the Dense before
it, with onnxruntime's results equal to the unfused composition and to numpy."""

from __future__ import annotations

import collections
import math

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers
from kgraph.compiler import serde
from kgraph.models.export import trace_model

RNG = np.random.default_rng(11)
X = RNG.standard_normal((5, 6)).astype(np.float32) * 2


def _model(*stack):
    inp = kgraph.Input((6,), name="x")
    y = inp
    for layer in stack:
        y = layer(y)
    model = kgraph.Model(inp, y)
    for w in model.weights:  # non-trivial statistics and affine parameters
        w.assign(RNG.uniform(0.5, 1.5, w.shape).astype(np.float32))
    return model


def _run(data: bytes) -> np.ndarray:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": X})[0]


def _compare(model, opset=21):
    """(op histogram of the exported graph, its output, the unfused trace's output)."""
    data = model.to_onnx_bytes(opset=opset)
    builder, _, _ = trace_model(model, opset=opset)
    plain = serde.to_bytes(serde.to_model(builder.graph))
    ops = collections.Counter(n.op_type for n in onnx.load_from_string(data).graph.node)
    return ops, _run(data), _run(plain)


def _gelu(x, approximate):
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_is_one_node_from_opset_20(approximate):
    act = layers.Activation(lambda t: kgraph.ops.gelu(t, approximate=approximate))
    model = _model(act)
    ops, got, plain = _compare(model)
    assert ops == {"Gelu": 1}, ops
    np.testing.assert_allclose(got, _gelu(X.astype(np.float64), approximate), atol=1e-5)
    np.testing.assert_allclose(got, plain, atol=1e-6)
    ops19, got19, _ = _compare(model, opset=19)
    assert "Gelu" not in ops19 and ("Erf" in ops19 or "Tanh" in ops19), ops19
    np.testing.assert_allclose(got19, got, atol=1e-6)


def test_mish_is_one_node_from_opset_18():
    ops, got, plain = _compare(_model(layers.Activation("mish")))
    assert ops == {"Mish": 1}, ops
    want = X * np.tanh(np.log1p(np.exp(X.astype(np.float64))))
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(got, plain, atol=1e-6)


def test_layer_normalization_is_one_node():
    model = _model(layers.LayerNormalization(epsilon=1e-3))
    ops, got, plain = _compare(model)
    assert ops == {"LayerNormalization": 1}, ops
    gamma, beta = (w.numpy() for w in model.layers[1].weights)
    x = X.astype(np.float64)
    norm = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(got, norm * gamma + beta, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got, plain, atol=1e-5)


def test_batch_norm_folds_into_the_dense_before_it():
    ops, got, plain = _compare(_model(layers.Dense(4), layers.BatchNormalization()))
    assert ops == {"MatMul": 1, "Add": 1}, ops
    np.testing.assert_allclose(got, plain, rtol=1e-5, atol=1e-5)


def test_batch_norm_after_an_activation_is_one_node():
    model = _model(layers.Dense(4, activation="relu"), layers.BatchNormalization(epsilon=0.01))
    ops, got, plain = _compare(model)
    assert ops["BatchNormalization"] == 1 and "Sub" not in ops, ops
    dense, bn = model.layers[1], model.layers[2]
    kernel, bias = (w.numpy() for w in dense.weights)
    gamma, beta, mean, var = (w.numpy() for w in bn.weights)
    h = np.maximum(X @ kernel + bias, 0)
    want = (h - mean) / np.sqrt(var + 0.01) * gamma + beta
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got, plain, rtol=1e-5, atol=1e-5)


def test_batch_norm_after_a_conv_activation_is_one_node():
    inp = kgraph.Input((5, 5, 2), name="x")
    y = layers.Conv2D(3, 3, activation="relu")(inp)
    model = kgraph.Model(inp, layers.BatchNormalization(epsilon=0.01)(y))
    for w in model.weights:
        w.assign(RNG.uniform(0.5, 1.5, w.shape).astype(np.float32))
    x = RNG.standard_normal((2, 5, 5, 2)).astype(np.float32)
    data = model.to_onnx_bytes()
    ops = collections.Counter(n.op_type for n in onnx.load_from_string(data).graph.node)
    assert ops["BatchNormalization"] == 1 and "Sub" not in ops and "Mul" not in ops, ops
    got = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    kernel, bias = (w.numpy() for w in model.layers[1].weights)
    gamma, beta, mean, var = (w.numpy() for w in model.layers[2].weights)
    patches = np.stack(
        [x[:, i : i + 3, j : j + 3, :] for i in range(3) for j in range(3)], axis=1
    ).reshape(2, 3, 3, -1)
    h = np.maximum(patches @ kernel.reshape(-1, 3) + bias, 0)
    want = (h - mean) / np.sqrt(var + 0.01) * gamma + beta
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
