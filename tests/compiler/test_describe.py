"""compiler.describe: the text of ``kgraph inspect``, checked line by line on a hand-built model."""

from __future__ import annotations

import json

import numpy as np
import onnx_ir as ir
import pytest

from kgraph.compiler import serde
from kgraph.compiler.describe import config_summary, describe


def _model() -> ir.Model:
    x = ir.Value(name="x", type=ir.TensorType(ir.DataType.FLOAT), shape=ir.Shape(["batch", 3]))
    w = ir.Value(
        name="w",
        type=ir.TensorType(ir.DataType.FLOAT),
        shape=ir.Shape([3, 2]),
        const_value=ir.tensor(np.ones((3, 2), np.float32), name="w"),
    )
    shape = ir.Value(
        name="shape",
        type=ir.TensorType(ir.DataType.INT64),
        shape=ir.Shape([2]),
        const_value=ir.tensor(np.array([-1, 2], np.int64), name="shape"),
    )
    flag = ir.Value(name="flag", type=ir.TensorType(ir.DataType.BOOL), shape=ir.Shape([]))
    matmul = ir.Node("", "MatMul", [x, w], name="dense/MatMul")
    branch_out = ir.Node("", "Relu", [matmul.outputs[0]], name="relu")
    then_graph = ir.Graph([], [branch_out.outputs[0]], nodes=[branch_out], name="then")
    other = ir.Node("", "Neg", [matmul.outputs[0]], name="neg")
    else_graph = ir.Graph([], [other.outputs[0]], nodes=[other], name="else")
    branch = ir.Node(
        "",
        "If",
        [flag],
        attributes=[
            ir.AttrGraph("then_branch", then_graph),
            ir.AttrGraph("else_branch", else_graph),
        ],
        name="if",
    )
    branch.outputs[0].name = "y"
    branch.outputs[0].type = ir.TensorType(ir.DataType.FLOAT)
    graph = ir.Graph(
        [x, flag],
        [branch.outputs[0]],
        nodes=[matmul, branch],
        initializers=[w, shape],
        name="demo",
        opset_imports={"": 21},
    )
    config = {"class_name": "Sequential", "config": {"name": "demo", "layers": [{}, {}]}}
    metadata = {"keras_config": json.dumps(config), "note": "two\nlines"}
    return serde.to_model(graph, metadata, producer_version="9.9")


def test_describe_lists_everything_inspect_promises():
    text = json.dumps({"class_name": "Sequential", "config": {"name": "demo", "layers": [{}, {}]}})
    assert describe(
        serde.load(serde.to_bytes(_model(), infer_shapes=False, check=False)), "demo.onnx"
    ) == [
        "demo.onnx",
        "  producer:    kgraph 9.9",
        "  IR version:  10",
        "  opset:       ai.onnx 21",
        "  graph:       demo",
        "inputs:",
        "  x     float32  [batch, 3]",
        "  flag  bool     []",
        "outputs:",
        "  y  float32  (unknown rank)",
        "parameters:  6 in 1 initializers (+1 non-float constant)",
        "ops:         4 nodes, 4 types",
        "  If      1",
        "  MatMul  1",
        "  Neg     1",
        "  Relu    1",
        "metadata:",
        f"  keras_config: Sequential 'demo' 2 layers ({len(text):,} characters of JSON)",
        "  note: two lines",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not json", "(8 characters, not JSON)"),
        ("[1, 2]", "(6 characters of JSON)"),
        ('{"class_name": "Functional"}', "Functional (28 characters of JSON)"),
    ],
)
def test_config_summary(text, expected):
    assert config_summary(text) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "no graph, IR version or opset"), (b"\xff\xff\xff", "not an ONNX model (")],
)
def test_load_rejects_what_is_not_a_model(data, message):
    with pytest.raises(serde.InvalidModelError, match=message.replace("(", r"\(")):
        serde.load(data)
