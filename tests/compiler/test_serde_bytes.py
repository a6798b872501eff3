"""``serde.to_bytes`` writes large initializers piecewise after the graph: the bytes must parse
to the very model onnx's own serializer writes (same initializers, in order, same
value_info), and still raise InvalidModelError for a bad graph."""

from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
import onnxruntime as ort
import pytest

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder

RNG = np.random.default_rng(0)


def _model():
    """Small and large (above ``LARGE_INITIALIZER``) initializers interleaved."""
    b = GraphBuilder()
    x = b.input("x", (2, 64), "float32")
    big = RNG.standard_normal((64, 64)).astype(np.float32)
    small = RNG.standard_normal(64).astype(np.float32)
    shape = np.asarray([2, 8, 8], np.int64)
    y = b.op("Add", [b.op("MatMul", [x, b.parameter("dense/kernel", big)]), b.constant(small)])
    y = b.op("Reshape", [b.op("Relu", [y]), b.constant(shape)])
    y = b.op("MatMul", [y, b.parameter("other/kernel", big[:8, :40].copy())])
    b.output(y, "y")
    return serde.to_model(b.graph, {"k": "v"}, "1.0"), big


def _reference(model):
    """What onnx writes when it serializes the whole model itself."""
    proto = ir.serde.serialize_model(model)
    proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True, data_prop=True)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def test_bytes_parse_to_the_reference_model():
    model, big = _model()
    assert big.nbytes > serde.LARGE_INITIALIZER
    got = onnx.ModelProto.FromString(serde.to_bytes(model))
    expected = _reference(model)
    assert [t.name for t in got.graph.initializer] == [t.name for t in expected.graph.initializer]
    assert got == expected
    inferred = {v.name for v in got.graph.value_info} - {t.name for t in got.graph.initializer}
    assert inferred == {"MatMul", "Add", "Relu", "Reshape", "y"}  # every node's output
    np.testing.assert_array_equal(onnx.numpy_helper.to_array(got.graph.initializer[0]), big)


def test_bytes_run_in_onnxruntime():
    model, big = _model()
    session = ort.InferenceSession(serde.to_bytes(model), providers=["CPUExecutionProvider"])
    x = RNG.standard_normal((2, 64)).astype(np.float32)
    (y,) = session.run(None, {"x": x})
    small = onnx.numpy_helper.to_array(_reference(model).graph.initializer[1])
    expected = np.maximum(x @ big + small, 0).reshape(2, 8, 8) @ big[:8, :40]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_to_proto_and_unchecked_paths_agree():
    model, _ = _model()
    expected = _reference(model)
    assert serde.to_proto(model) == expected
    plain = onnx.ModelProto.FromString(serde.to_bytes(model, infer_shapes=False, check=False))
    assert plain == ir.serde.serialize_model(model)


def test_invalid_graph_raises():
    model, _ = _model()
    node = next(n for n in model.graph if n.op_type == "Reshape")
    node.replace_input_with(1, model.graph.initializers["dense/kernel"])  # float shape
    with pytest.raises(serde.InvalidModelError):
        serde.to_bytes(model)


def _top_level_fields(data: bytes) -> list[int]:
    """The field numbers of a serialized message's top level, in order (wire types 0 and 2)."""
    fields, at = [], 0

    def varint():
        nonlocal at
        value, shift = 0, 0
        while True:
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while at < len(data):
        key = varint()
        fields.append(key >> 3)
        length = varint() if key & 7 == 2 else (varint(), 0)[1]
        at += length
    return fields


def test_the_graph_is_one_field():
    """Readers that keep the last occurrence of a message field (Netron) see the whole graph."""
    model, _ = _model()
    graph_field = onnx.ModelProto.DESCRIPTOR.fields_by_name["graph"].number
    assert _top_level_fields(serde.to_bytes(model)).count(graph_field) == 1


def test_large_integer_constants_stay_for_shape_inference():
    """Shape inference with data propagation reads integer constants (a Gather's 1,256 frame
    positions in ``ops.stft``): only floating-point weights are taken out, so a graph with a
    large index constant serializes, checks and runs."""
    b = GraphBuilder()
    x = b.input("x", (1000,), "float32")
    positions = np.arange(1256, dtype=np.int64) % 1000
    weights = RNG.standard_normal(1256).astype(np.float32)
    y = b.op("Gather", [x, b.constant(positions)])
    b.output(b.op("Mul", [y, b.parameter("w", weights)]), "y")
    data = serde.to_bytes(serde.to_model(b.graph), check=True, infer_shapes=True)
    value = RNG.standard_normal(1000).astype(np.float32)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"x": value})
    np.testing.assert_allclose(got, value[positions] * weights, rtol=1e-6)
