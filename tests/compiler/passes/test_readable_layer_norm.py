"""A LayerNormalization over the channels of a conv stack (ConvNeXt's) exports as one ONNX
``LayerNormalization`` from opset 17, although the layout passes run the stack channels-first;
older opsets keep the composition. Results equal numpy's."""

from __future__ import annotations

import collections

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers
from kgraph.applications import convnext
from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.passes import ReadableOpsPass

RNG = np.random.default_rng(5)
X = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)
COMPOSITION = {"ReduceMean", "Sub", "Pow", "Sqrt", "Div"}


def _randomized(model):
    for w in model.weights:
        w.assign(RNG.uniform(0.5, 1.5, w.shape).astype(np.float32))
    return model


def _conv_norm(**norm):
    """A 1x1 Conv2D (numpy's ``x @ kernel + bias``) and a LayerNormalization after it."""
    kgraph.utils.clear_session()
    inp = kgraph.Input((5, 5, 3), name="image")
    y = layers.Conv2D(4, 1, name="conv")(inp)
    y = layers.LayerNormalization(epsilon=1e-6, name="norm", **norm)(y)
    return _randomized(kgraph.Model(inp, y, name="net"))


def _export(model, opset=21):
    data = model.to_onnx_bytes(opset=opset)
    proto = onnx.load_from_string(data)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return proto, session.run(None, {"image": X})[0]


def _ops(proto):
    return collections.Counter(node.op_type for node in proto.graph.node)


def _numpy_conv_norm(model, x, axis=(-1,), eps=1e-6):
    kernel, bias = (w.numpy().astype(np.float64) for w in model.get_layer("conv").weights)
    y = x.astype(np.float64) @ kernel[0, 0] + bias
    mean = y.mean(axis=axis, keepdims=True)
    norm = (y - mean) / np.sqrt(((y - mean) ** 2).mean(axis=axis, keepdims=True) + eps)
    shape = [d if a in [i % 4 for i in axis] else 1 for a, d in enumerate(y.shape)]
    weights = [w.numpy().reshape(shape) for w in model.get_layer("norm").weights]
    return norm * weights[0] + weights[1] if weights else norm


def test_channel_norm_after_a_conv_is_one_node():
    model = _conv_norm()
    proto, got = _export(model)
    ops = _ops(proto)
    assert ops["LayerNormalization"] == 1 and not COMPOSITION & set(ops), ops
    assert ops["Transpose"] <= 2, ops  # into the conv's NCHW and back to NHWC: no more
    norm = next(n for n in proto.graph.node if n.op_type == "LayerNormalization")
    assert norm.name == "net/norm/LayerNormalization"
    assert {p.key: p.value for p in norm.metadata_props}["layer_class"] == "LayerNormalization"
    assert [o.name for o in proto.graph.output] == model.output_names
    typed = {v.name for v in [*proto.graph.value_info, *proto.graph.output]}
    assert all(out in typed for node in proto.graph.node for out in node.output)
    np.testing.assert_allclose(got, _numpy_conv_norm(model, X), rtol=1e-4, atol=1e-4)


def test_older_opsets_keep_the_composition_with_equal_results():
    model = _conv_norm()
    proto, got = _export(model, opset=16)
    ops = _ops(proto)
    assert "LayerNormalization" not in ops and set(ops) >= COMPOSITION, ops
    np.testing.assert_allclose(got, _numpy_conv_norm(model, X), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("norm", [{"center": False, "scale": False}, {"axis": (1, 3)}])
def test_unscaled_and_several_axes(norm):
    model = _conv_norm(**norm)
    proto, got = _export(model)
    ops = _ops(proto)
    assert ops["LayerNormalization"] == 1 and not COMPOSITION & set(ops), ops
    want = _numpy_conv_norm(model, X, axis=norm.get("axis", (-1,)))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_convnext_stage_has_one_node_per_norm_and_its_results():
    kgraph.utils.clear_session()
    inp = kgraph.Input((8, 8, 3), name="image")
    y = layers.Conv2D(8, 2, strides=2, name="stem")(inp)
    y = layers.LayerNormalization(epsilon=1e-6, name="stem_norm")(y)
    for i in range(2):
        y = convnext.ConvNeXtBlock(8, layer_scale_init_value=0.5, name=f"block_{i}")(y)
    model = _randomized(kgraph.Model(inp, y, name="stage"))
    x = RNG.standard_normal((2, 8, 8, 3)).astype(np.float32)
    data = model.to_onnx_bytes()
    ops = _ops(onnx.load_from_string(data))
    assert ops["LayerNormalization"] == 3 and not COMPOSITION & set(ops), ops
    got = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"image": x})
    plain = model.to_onnx_bytes(opset=16)  # the composition
    want = ort.InferenceSession(plain, providers=["CPUExecutionProvider"]).run(None, {"image": x})
    scale = np.abs(want[0]).max()
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.slow
def test_convnext_tiny_norms_are_single_nodes():
    kgraph.utils.clear_session()
    model = kgraph.applications.ConvNeXtTiny(
        weights=None, include_top=False, input_shape=(32, 32, 3)
    )
    ops = _ops(onnx.load_from_string(model.to_onnx_bytes()))
    assert ops["LayerNormalization"] == 23 and not {"ReduceMean", "Pow", "Sqrt"} & set(ops), ops


def _chain(b, x, axis, gamma, beta):
    """The mean / variance chain kgraph's LayerNormalization emits, over ``axis``."""
    axes = b.constant(np.array([axis], np.int64))
    mean = b.op("ReduceMean", [x, axes], {"keepdims": 1})
    centered = b.op("Sub", [x, mean])
    var = b.op("ReduceMean", [b.op("Pow", [centered, b.constant(np.float32(2))]), axes])
    std = b.op("Sqrt", [b.op("Add", [var, b.constant(np.float32(1e-3))])])
    scaled = b.op("Mul", [b.op("Div", [centered, std]), b.constant(gamma)])
    return b.op("Add", [scaled, b.constant(beta)])


@pytest.mark.parametrize("reader", ["Transpose", "Relu"])
def test_transposes_around_the_chain_cancel(check_pass, reader):
    """NHWC → NCHW, a norm over axis 1, then back to NHWC: one LayerNormalization on the
    input; a reader that is no Transpose gets the NCHW result back through one Transpose."""
    gamma = RNG.uniform(0.5, 1.5, (1, 3, 1, 1)).astype(np.float32)
    beta = RNG.standard_normal((1, 3, 1, 1)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 4, 5, 3), np.float32)
        nchw = b.op("Transpose", [x], {"perm": [0, 3, 1, 2]}, dtype=np.float32, shape=(2, 3, 4, 5))
        norm = _chain(b, nchw, 1, gamma, beta)
        b.output(b.op(reader, [norm], {"perm": [0, 2, 3, 1]} if reader == "Transpose" else {}), "y")

    x = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    before, after, modified = check_pass(build, ReadableOpsPass(), {"x": x})
    assert modified and before["ReduceMean"] == 2
    if reader == "Transpose":
        assert after == {"LayerNormalization": 1}, after
    else:
        assert after == {"LayerNormalization": 1, "Transpose": 1, "Relu": 1}, after
    b = GraphBuilder()
    build(b)
    data = serde.to_bytes(ReadableOpsPass()(serde.to_model(b.graph)).model)
    got = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    norm = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    want = norm * gamma.reshape(3) + beta.reshape(3)
    want = want if reader == "Transpose" else np.maximum(want.transpose(0, 3, 1, 2), 0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
