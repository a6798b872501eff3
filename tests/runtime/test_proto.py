"""Tests for runtime._proto, the onnx-free protobuf reader and writer."""

from __future__ import annotations

import runtime_models as models
from onnx import TensorProto, helper

from kgraph.runtime._proto import declared_scalar_inputs, field, varint


def test_varint_and_field_encoding():
    assert varint(0) == b"\x00"
    assert varint(1) == b"\x01"
    assert varint(300) == b"\xac\x02"
    assert field(1, 150) == b"\x08\x96\x01"
    assert field(2, b"ab") == b"\x12\x02ab"


def test_declared_scalar_inputs():
    assert declared_scalar_inputs(models.sgd_step_model()) == {"lr", "step", "iterations"}
    assert declared_scalar_inputs(models.image_model()) == {"scale"}
    graph = helper.make_graph(
        [helper.make_node("Add", ["s", "u"], ["o"])],
        "g",
        [
            helper.make_tensor_value_info("s", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("u", TensorProto.FLOAT, None),
        ],
        [helper.make_tensor_value_info("o", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 21)])
    assert declared_scalar_inputs(model.SerializeToString()) == {"s"}


def test_declared_scalar_inputs_on_garbage_is_empty():
    assert declared_scalar_inputs(b"\xff\xff\xff") == set()
    assert declared_scalar_inputs(b"") == set()
