"""The Keras-style model API: building, calling, summary, weights, config and ONNX export."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers


def _run(data: bytes, feeds: dict) -> list[np.ndarray]:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _relu(x):
    return np.maximum(x, 0)


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    model.set_weights(
        [
            rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
            if "variance" in w.path
            else rng.uniform(-1, 1, w.shape).astype(np.float32)
            for w in model.weights
        ]
    )
    return model.get_weights()


def _cnn(name="cnn"):
    inp = kgraph.Input((8, 8, 3), name="image")
    y = layers.Conv2D(4, (3, 3), activation="relu", name="conv2d")(inp)
    y = layers.MaxPooling2D(name="pool")(y)
    y = layers.Flatten(name="flatten")(y)
    y = layers.Dense(5, activation="softmax", name="probs")(y)
    return kgraph.Model(inp, y, name=name)


X = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)

# -- building -------------------------------------------------------------------------------------


def test_sequential_from_list_and_from_add_compute_the_same_function():
    listed = kgraph.Sequential(
        [kgraph.Input((4,)), layers.Dense(6, activation="relu"), layers.Dense(2)], name="listed"
    )
    added = kgraph.Sequential(name="added")
    added.add(kgraph.Input((4,)))
    added.add(layers.Dense(6, activation="relu"))
    added.add(layers.Dense(2))
    w1, b1, w2, b2 = _randomize(listed)
    added.set_weights([w1, b1, w2, b2])
    want = _relu(X @ w1 + b1) @ w2 + b2
    assert len(listed.layers) == len(added.layers) == 2
    np.testing.assert_allclose(listed.predict(X, verbose=0), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(added.predict(X, verbose=0), want, rtol=1e-5, atol=1e-5)


def test_sequential_gets_its_input_shape_from_the_first_call():
    model = kgraph.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="input shape"):
        model.to_onnx_bytes()  # nothing to export before any data or build()
    assert model(X).shape == (10, 3)  # builds the model for (None, 4), as predict would
    w, b = _randomize(model)
    assert w.shape == (4, 3)
    np.testing.assert_allclose(model.predict(X, verbose=0), X @ w + b, rtol=1e-5, atol=1e-5)


def test_functional_multi_io_shared_layer_and_skip_connection():
    a, b = kgraph.Input((4,), name="a"), kgraph.Input((4,), name="b")
    shared = layers.Dense(4, activation="relu", name="shared")
    ha, hb = shared(a), shared(b)
    skip = layers.Add(name="skip")([a, ha])  # residual: a + relu(a W + c)
    merged = layers.Concatenate(name="merge")([skip, hb])
    out1 = layers.Dense(3, name="out1")(merged)
    out2 = layers.Dense(1, activation="sigmoid", name="out2")(hb)
    model = kgraph.Model(inputs=[a, b], outputs=[out1, out2], name="multi")
    ws, bs, w1, b1, w2, b2 = _randomize(model)
    assert [w.path for w in model.weights] == [
        "shared/kernel",
        "shared/bias",
        "out1/kernel",
        "out1/bias",
        "out2/kernel",
        "out2/bias",
    ]
    xa, xb = X, X[::-1].copy()
    ra, rb = _relu(xa @ ws + bs), _relu(xb @ ws + bs)
    want1 = np.concatenate([xa + ra, rb], axis=-1) @ w1 + b1
    want2 = 1 / (1 + np.exp(-(rb @ w2 + b2)))
    for got in (
        model.predict([xa, xb], verbose=0),
        model([xa, xb]),
        model.predict({"a": xa, "b": xb}, verbose=0),
    ):
        assert isinstance(got, list) and len(got) == 2
        np.testing.assert_allclose(got[0], want1, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got[1], want2, rtol=1e-5, atol=1e-5)
    proto = onnx.load_from_string(model.to_onnx_bytes())
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["out1", "out2"]
    feeds_out = _run(model.to_onnx_bytes(), {"a": xa, "b": xb})
    np.testing.assert_allclose(feeds_out[0], want1, rtol=1e-5, atol=1e-5)


def test_nested_models_are_layers():
    inner = kgraph.Sequential(
        [kgraph.Input((4,)), layers.Dense(3, activation="relu", name="inner_dense")], name="inner"
    )
    x = kgraph.Input((4,), name="x")
    block_in = kgraph.Input((3,))
    block = kgraph.Model(block_in, layers.Dense(2, name="block_dense")(block_in), name="block")
    out = block(inner(x))
    model = kgraph.Model(x, out, name="outer")
    assert [layer.name for layer in model.layers] == ["x", "inner", "block"]
    assert [w.path for w in model.weights] == [
        "inner_dense/kernel",
        "inner_dense/bias",
        "block_dense/kernel",
        "block_dense/bias",
    ]
    w1, b1, w2, b2 = _randomize(model)
    want = _relu(X @ w1 + b1) @ w2 + b2
    np.testing.assert_allclose(model.predict(X, verbose=0), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        inner.predict(X, verbose=0), _relu(X @ w1 + b1), rtol=1e-5, atol=1e-5
    )
    names = [n.name for n in onnx.load_from_string(model.to_onnx_bytes()).graph.node]
    top = model.name
    assert f"{top}/inner/inner_dense/MatMul" in names, names
    assert f"{top}/block/block_dense/MatMul" in names, names


# -- calling and predicting -----------------------------------------------------------------------


def test_calling_a_model_on_numpy_returns_numpy():
    model = kgraph.Sequential([kgraph.Input((4,)), layers.Dense(3, activation="tanh")])
    w, b = _randomize(model)
    out = model(X)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, np.tanh(X @ w + b), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("batch_size", [1, 3, 4, 7, 10, 32, None])
def test_predict_with_any_batch_size(batch_size):
    model = kgraph.Sequential([kgraph.Input((4,)), layers.Dense(2)])
    w, b = _randomize(model)
    out = model.predict(X, batch_size=batch_size, verbose=0)
    assert out.shape == (10, 2)
    np.testing.assert_allclose(out, X @ w + b, rtol=1e-5, atol=1e-5)


# -- summary --------------------------------------------------------------------------------------


def _summary(model) -> list[str]:
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    return lines


def test_summary_table_and_counts():
    model = kgraph.Sequential(
        [
            kgraph.Input((8, 8, 3)),
            layers.Conv2D(4, (3, 3), activation="relu", name="conv"),
            layers.MaxPooling2D(name="pool"),
            layers.Flatten(name="flat"),
            layers.BatchNormalization(name="bn"),
            layers.Dense(5, activation="softmax", name="dense"),
        ],
        name="seq",
    )
    lines = _summary(model)
    text = "\n".join(lines)
    assert lines[0] == 'Model: "seq"'
    header = next(line for line in lines if "Layer (type)" in line)
    assert "Output Shape" in header and "Param #" in header
    conv = 3 * 3 * 3 * 4 + 4  # kernel (kh, kw, in, out) + bias
    bn_trainable, bn_frozen = 2 * 36, 2 * 36  # gamma, beta / moving mean, moving variance
    dense = 36 * 5 + 5
    rows = {
        "conv (Conv2D)": ("(None, 6, 6, 4)", conv),
        "pool (MaxPooling2D)": ("(None, 3, 3, 4)", 0),
        "flat (Flatten)": ("(None, 36)", 0),
        "bn (BatchNormalization)": ("(None, 36)", bn_trainable + bn_frozen),
        "dense (Dense)": ("(None, 5)", dense),
    }
    for label, (shape, params) in rows.items():
        row = next(line for line in lines if label in line)
        cells = [c.strip() for c in row.strip("│").split("│")]
        assert cells == [label, shape, f"{params:,}"], row
    assert "InputLayer" not in text  # a Sequential model lists its layers only
    total, trainable = conv + bn_trainable + bn_frozen + dense, conv + bn_trainable + dense
    assert model.count_params() == total == 441
    assert f" Total params: {total:,} ({total * 4 / 1024:.2f} KB)" in lines
    assert f" Trainable params: {trainable:,} ({trainable * 4 / 1024:.2f} KB)" in lines
    assert f" Non-trainable params: {bn_frozen:,} ({bn_frozen * 4:.2f} B)" in lines


def test_functional_summary_lists_inputs_and_frozen_layers():
    model = _cnn()
    model.get_layer("probs").trainable = False
    lines = _summary(model)
    assert any("image (InputLayer)" in line and "(None, 8, 8, 3)" in line for line in lines)
    assert any("probs (Dense)" in line and "185" in line for line in lines)
    assert " Total params: 297 (1.16 KB)" in lines
    assert " Trainable params: 112 (448.00 B)" in lines
    assert " Non-trainable params: 185 (740.00 B)" in lines


# -- weights --------------------------------------------------------------------------------------


def test_weight_order_and_keras_layouts():
    model = _cnn()
    assert [(w.path, w.shape) for w in model.weights] == [
        ("conv2d/kernel", (3, 3, 3, 4)),
        ("conv2d/bias", (4,)),
        ("probs/kernel", (36, 5)),
        ("probs/bias", (5,)),
    ]
    assert [w.shape for w in model.get_weights()] == [(3, 3, 3, 4), (4,), (36, 5), (5,)]
    # A one-hot conv kernel shows the layout: k[i, j, c, o] reads x[h + i, w + j, c] into o.
    kernel = np.zeros((3, 3, 3, 4), np.float32)
    kernel[0, 1, 2, 3] = 1.0
    conv = model.get_layer("conv2d")
    conv.set_weights([kernel, np.zeros(4, np.float32)])
    x = np.random.default_rng(0).uniform(0, 1, (2, 8, 8, 3)).astype(np.float32)
    probe = kgraph.Model(model.inputs[0], conv.output)
    out = probe.predict(x, verbose=0)
    np.testing.assert_allclose(out[..., 3], x[:, 0:6, 1:7, 2], rtol=1e-6)
    np.testing.assert_array_equal(out[..., :3], 0)


def test_set_weights_errors():
    model = _cnn()
    weights = model.get_weights()
    with pytest.raises(ValueError, match="expects 4 weight arrays; received 3"):
        model.set_weights(weights[:3])
    weights[2] = weights[2].T
    with pytest.raises(ValueError, match=r"probs/kernel.*\(36, 5\).*\(5, 36\)"):
        model.set_weights(weights)
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        model.get_layer("conv2d").set_weights([])


def test_set_weights_changes_predictions():
    model = _cnn()
    x = np.random.default_rng(0).standard_normal((3, 8, 8, 3)).astype(np.float32)
    before = model.predict(x, verbose=0)
    weights = model.get_weights()
    weights[3] = weights[3] + np.arange(5, dtype=np.float32)
    model.set_weights(weights)
    after = model.predict(x, verbose=0)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, _run(model.to_onnx_bytes(), {"image": x})[0], rtol=1e-6)


def test_trainable_false_moves_weights_to_non_trainable():
    model = _cnn()
    dense = model.get_layer("probs")
    order = [w.path for w in model.weights]
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    assert [w.path for w in model.trainable_weights] == ["conv2d/kernel", "conv2d/bias"]
    assert [w.path for w in model.non_trainable_weights] == ["probs/kernel", "probs/bias"]
    assert [w.path for w in model.weights] == order  # get_weights order does not change
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    model.trainable = True
    assert len(model.trainable_weights) == 4


# -- config ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (layers.Dense, {"units": 3, "activation": "relu", "use_bias": False}, (2, 4)),
        (layers.Dense, {"units": 2, "kernel_initializer": "he_normal"}, (2, 5)),
        (
            layers.Conv2D,
            {
                "filters": 3,
                "kernel_size": (3, 2),
                "strides": 2,
                "padding": "same",
                "activation": "tanh",
            },
            (2, 7, 6, 2),
        ),
        (
            layers.Conv2D,
            {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "groups": 2},
            (1, 8, 8, 4),
        ),
    ],
    ids=["dense_relu", "dense_init", "conv_same", "conv_grouped"],
)
def test_layer_config_round_trip(cls, kwargs, shape):
    layer = cls(**kwargs)
    config = layer.get_config()
    json.dumps(config)  # serializable
    clone = cls.from_config(config)
    assert clone.get_config() == config
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), layer(x), rtol=1e-6, atol=1e-6)


# -- export ---------------------------------------------------------------------------------------


def _initializers(data: bytes) -> dict:
    proto = onnx.load_from_string(data)
    return {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}


def test_export_writes_the_inference_graph(tmp_path, capsys):
    model = _cnn()
    _randomize(model)
    data = model.to_onnx_bytes()
    x = np.random.default_rng(0).standard_normal((3, 8, 8, 3)).astype(np.float32)
    for path, fmt in ((tmp_path / "m.onnx", None), (tmp_path / "m.bin", "onnx")):
        model.export(path, format=fmt)
        assert str(path) in capsys.readouterr().out
        written = path.read_bytes()
        onnx.checker.check_model(onnx.load_from_string(written), full_check=True)
        want, got = _initializers(data), _initializers(written)
        assert want.keys() == got.keys()
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])
        np.testing.assert_array_equal(_run(written, {"image": x})[0], _run(data, {"image": x})[0])
        np.testing.assert_allclose(
            _run(str(path), {"image": x})[0], model.predict(x, verbose=0), rtol=1e-6
        )


@pytest.mark.parametrize(
    "fmt, filename", [("tf_saved_model", "saved"), (None, "m.bin"), ("h5", "m.h5")]
)
def test_export_rejects_other_formats(tmp_path, fmt, filename):
    with pytest.raises(ValueError, match="format='onnx'"):
        _cnn().export(tmp_path / filename, format=fmt, verbose=False)
    assert not (tmp_path / filename).exists()


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


def test_graph_io_names_and_batch_axis():
    model = _cnn()
    proto = onnx.load_from_string(model.to_onnx_bytes())
    assert [i.name for i in proto.graph.input] == ["image"]
    assert [o.name for o in proto.graph.output] == ["probs"]
    assert _dims(proto.graph.input[0]) == ["batch", 8, 8, 3]
    assert _dims(proto.graph.output[0]) == ["batch", 5]
    fixed = model.to_onnx_bytes(batch_size=4)
    proto = onnx.load_from_string(fixed)
    assert _dims(proto.graph.input[0]) == [4, 8, 8, 3]
    assert _dims(proto.graph.output[0]) == [4, 5]
    x = np.random.default_rng(0).standard_normal((4, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(_run(fixed, {"image": x})[0], model.predict(x, verbose=0), rtol=1e-6)


def test_inputs_of_free_lengths_get_their_own_dim_names():
    """Two ``(None, 4)`` inputs may differ in length: their free axes are separate symbols
    (a shared one made onnxruntime refuse cross-attention with lengths 5 and 6)."""
    query, value = kgraph.Input((None, 4), name="q"), kgraph.Input((None, 4), name="v")
    attention = layers.MultiHeadAttention(2, 2)
    model = kgraph.Model([query, value], attention(query, value))
    joined = kgraph.Model([query, value], layers.Concatenate(axis=1)([query, value]))
    proto = onnx.load_from_string(model.to_onnx_bytes())
    assert [_dims(i) for i in proto.graph.input] == [["batch", "q_dim1", 4], ["batch", "v_dim1", 4]]
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 5, 4)).astype(np.float32)
    v = rng.standard_normal((2, 6, 4)).astype(np.float32)
    np.testing.assert_array_equal(joined.predict([q, v], verbose=0), np.concatenate([q, v], 1))
    predicted = model.predict([q, v], verbose=0)
    assert predicted.shape == (2, 5, 4)
    eager = attention(q, v)  # op by op on concrete arrays
    np.testing.assert_allclose(predicted, np.asarray(eager), rtol=1e-5, atol=1e-6)


def test_node_names_value_info_and_metadata():
    model = _cnn(name="digits")
    proto = onnx.load_from_string(model.to_onnx_bytes())
    nodes = {n.name: n for n in proto.graph.node}
    assert "digits/conv2d/Conv" in nodes and nodes["digits/conv2d/Conv"].op_type == "Conv"
    assert "digits/pool/MaxPool" in nodes
    scopes = {"conv2d", "pool", "flatten", "probs"}
    assert all(name.split("/")[:2] in (["digits", s] for s in scopes) for name in nodes), nodes
    typed = {v.name: v for v in proto.graph.value_info}
    graph_outputs = {o.name for o in proto.graph.output}
    for node in proto.graph.node:
        for out in node.output:
            if out not in graph_outputs:
                assert out in typed, f"no value_info for {out}"
                assert typed[out].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["producer"] == "kgraph"
    assert meta["kgraph_version"] == kgraph.__version__
    config = json.loads(meta["keras_config"])
    assert config["class_name"] == "Functional" and config["config"]["name"] == "digits"
    assert [layer["name"] for layer in config["config"]["layers"]] == [
        "image",
        "conv2d",
        "pool",
        "flatten",
        "probs",
    ]


@pytest.mark.parametrize("opset", range(17, 24))
def test_opset_choice(opset):
    inp = kgraph.Input((9, 9, 2), name="x")
    y = layers.Conv2D(3, 3, padding="same", activation="relu", name="conv")(inp)
    y = layers.AveragePooling2D(2, padding="same", name="avg")(y)
    y = layers.MaxPooling2D(2, name="max")(y)
    y = layers.Flatten()(y)
    y = layers.Dense(4, name="dense")(y)
    model = kgraph.Model(inp, y)
    _randomize(model)
    x = np.random.default_rng(opset).standard_normal((5, 9, 9, 2)).astype(np.float32)
    default = _run(model.to_onnx_bytes(), {"x": x})[0]
    data = model.to_onnx_bytes(opset=opset)
    proto = onnx.load_from_string(data)
    assert {o.domain: o.version for o in proto.opset_import}[""] == opset
    onnx.checker.check_model(proto, full_check=True)
    np.testing.assert_allclose(_run(data, {"x": x})[0], default, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), default, rtol=1e-5, atol=1e-6)


# -- errors ---------------------------------------------------------------------------------------


def test_calling_a_built_dense_on_an_incompatible_tensor_raises_at_once():
    dense = layers.Dense(2, name="proj")
    dense(kgraph.Input((3,)))
    with pytest.raises(ValueError, match=r"'proj'.*\(None, 3\).*\(None, 5\)"):
        dense(kgraph.Input((5,)))
    with pytest.raises(ValueError, match=r"'proj'.*\(None, 3\).*\(2, 5\)"):
        dense(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match="proj"):
        dense(kgraph.Input(batch_shape=(3,)))  # rank 1 < min_ndim 2


def test_unknown_layer_name():
    with pytest.raises(ValueError, match="No such layer: nope"):
        _cnn().get_layer("nope")
