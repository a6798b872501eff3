"""What an exported graph tells a reader: a value_info (dtype and shape, ``batch`` where
dynamic) on every edge, each node's layer name, class and path in its metadata, and the
model's doc_string and metadata (version, config, class names, input contract); layer
functions keep shared layers' calls apart and give the flat graph's results."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort

import kgraph
from kgraph import layers
from kgraph.compiler import serde
from kgraph.compiler.passes.outline_layers import OutlineLayersPass


def _nested():
    block = kgraph.Sequential(
        [layers.Conv2D(4, 3, padding="same", name="conv2d"), layers.ReLU(name="relu")],
        name="block_1",
    )
    inp = kgraph.Input((6, 6, 3), name="image")
    x = layers.GlobalAveragePooling2D(name="pool")(block(inp))
    model = kgraph.Model(inp, layers.Dense(3, name="probs")(x), name="net")
    model.class_names = ["cat", "dog", "eel"]
    return model


def test_every_edge_is_typed_and_every_node_names_its_layer():
    proto = onnx.load_from_string(_nested().to_onnx_bytes())
    typed = {v.name: v for v in [*proto.graph.value_info, *proto.graph.output]}
    for node in proto.graph.node:
        meta = {p.key: p.value for p in node.metadata_props}
        assert meta["layer_path"] == node.name.rsplit("/", 1)[0], (node.name, meta)
        assert meta["layer"] == meta["layer_path"].split("/")[-1]
        for out in node.output:
            tensor = typed[out].type.tensor_type
            assert tensor.elem_type == onnx.TensorProto.FLOAT, out
            assert tensor.shape.dim[0].dim_param == "batch", out
            assert all(d.HasField("dim_value") for d in tensor.shape.dim[1:]), out
    conv = next(n for n in proto.graph.node if n.op_type == "Conv")
    assert conv.name == "net/block_1/conv2d/Conv"
    meta = {p.key: p.value for p in conv.metadata_props}
    assert meta["layer_class"] == "Conv2D" and meta["layer_classes"] == "Sequential/Conv2D"
    assert meta["layer_path"] == "net/block_1/conv2d" and meta["layer_call"] == "block_1:0/conv2d:0"


def test_model_doc_string_and_metadata():
    proto = onnx.load_from_string(_nested().to_onnx_bytes())
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["kgraph_version"] == kgraph.__version__
    assert json.loads(meta["class_names"]) == ["cat", "dog", "eel"]
    contract = json.loads(meta["input_contract"])
    assert contract["inputs"] == [{"name": "image", "dtype": "float32", "shape": [None, 6, 6, 3]}]
    assert json.loads(meta["keras_config"])["config"]["name"] == "net"
    assert proto.doc_string.splitlines() == [
        "Functional model 'net' (3 layers), exported by kgraph " + kgraph.__version__ + ".",
        "Input 'image': float32 [batch, 6, 6, 3].",
        "Classes: cat, dog, eel.",
    ]


def test_shared_layer_calls_become_separate_functions_with_flat_results():
    shared = layers.Dense(4, activation="tanh", name="shared")
    a, b = kgraph.Input((5,), name="a"), kgraph.Input((5,), name="b")
    out = layers.Concatenate(name="cat")([shared(a), shared(b)])
    model = kgraph.Model([a, b], out)
    data = model.to_onnx_bytes()
    outlined = serde.load(data)
    OutlineLayersPass()(outlined)
    fn_data = serde.to_bytes(outlined)
    proto = onnx.load_from_string(fn_data)
    assert sorted(f.name for f in proto.functions) == ["cat", "shared", "shared_2"]
    assert [n.op_type for n in proto.graph.node] == ["shared", "shared_2", "cat"]
    rng = np.random.default_rng(0)
    feeds = {k: rng.standard_normal((3, 5)).astype(np.float32) for k in "ab"}
    flat = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    got = ort.InferenceSession(fn_data, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_array_equal(got, flat)
    kernel, bias = (w.numpy() for w in shared.weights)
    want = np.concatenate([np.tanh(feeds[k] @ kernel + bias) for k in "ab"], axis=-1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _sequential_with_encoder():
    kgraph.utils.clear_session()
    inp = kgraph.Input((5, 5, 2))
    encoded = layers.ReLU(name="relu")(layers.Conv2D(3, 3, name="conv2d")(inp))
    encoder = kgraph.Model(inp, encoded, name="encoder")
    flat = layers.Flatten(name="flatten")
    return kgraph.Sequential([kgraph.Input((5, 5, 2), name="x"), encoder, flat], name="sequential")


def test_node_names_carry_the_full_layer_path_from_the_top_model():
    model = _sequential_with_encoder()
    proto = onnx.load_from_string(model.to_onnx_bytes())
    conv = next(n for n in proto.graph.node if n.op_type == "Conv")
    assert conv.name == "sequential/encoder/conv2d/Conv"
    meta = {p.key: p.value for p in conv.metadata_props}
    assert (meta["layer"], meta["layer_class"]) == ("conv2d", "Conv2D")
    assert meta["layer_path"] == "sequential/encoder/conv2d"
    assert meta["layer_call"] == "encoder:0/conv2d:0"
    assert meta["layer_classes"] == "Functional/Conv2D"
    assert all(n.name.startswith("sequential/") for n in proto.graph.node), proto.graph.node
    # every edge keeps a value_info whose name is its producer's (led by the model's name)
    typed = {v.name for v in [*proto.graph.value_info, *proto.graph.output]}
    assert all(out in typed for n in proto.graph.node for out in n.output)


def test_function_calls_and_training_nodes_carry_the_full_path():
    model = _sequential_with_encoder()
    data = model.to_onnx_bytes()
    outlined = serde.load(data)
    OutlineLayersPass()(outlined)
    proto = onnx.load_from_string(serde.to_bytes(outlined))
    # the model itself is the graph, not a function: its layers are the call nodes
    assert [n.name for n in proto.graph.node] == ["sequential/encoder", "sequential/flatten"]
    encoder = next(f for f in proto.functions if f.name == "encoder")
    assert [n.name for n in encoder.node] == [
        "sequential/encoder/conv2d",
        "sequential/encoder/relu",
    ]
    conv2d = next(f for f in proto.functions if f.name == "conv2d")
    conv = next(n for n in conv2d.node if n.op_type == "Conv")
    assert conv.name == "sequential/encoder/conv2d/Conv"
    x = np.random.default_rng(1).standard_normal((2, 5, 5, 2)).astype(np.float32)
    want = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, {"x": x})
    got = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(got.run(None, {"x": x})[0], want[0])
    model.compile("sgd", "mse")
    step = model._trainer.programs().step.model.graph
    names = [n.name for n in step]
    assert "sequential/encoder/conv2d/Conv" in names, names
    assert any(n.startswith("grad/sequential/encoder/conv2d/Conv") for n in names), names
