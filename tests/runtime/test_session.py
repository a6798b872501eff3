"""Tests for runtime.session.Session: loading, metadata and feed validation."""

from __future__ import annotations

import numpy as np
import pytest
import runtime_models as models

from kgraph.runtime import Session


@pytest.fixture
def image_bytes() -> bytes:
    return models.image_model()


def test_load_from_bytes_and_path(tmp_path, image_bytes):
    path = tmp_path / "image.onnx"
    path.write_bytes(image_bytes)
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    feeds = {"x": x, "scale": np.float32(2.0)}
    for model in (image_bytes, str(path), path):
        session = Session(model, device="cpu")
        (y,) = session.run(feeds)
        np.testing.assert_allclose(y, x.mean(axis=(1, 2, 3)) * 2, rtol=1e-5)


def test_metadata(image_bytes):
    session = Session(image_bytes, device="cpu")
    assert session.input_names == ["x", "scale"]
    assert session.output_names == ["y"]
    assert session.inputs == [("x", ("batch", 28, 28, 1), "float32"), ("scale", (), "float32")]
    assert session.outputs == [("y", ("batch",), "float32")]
    assert session.providers == ["CPUExecutionProvider"]
    assert session.device == "cpu"
    assert Session(image_bytes).device in ("cpu", "cuda")


def test_shape_and_dtype_messages(image_bytes):
    session = Session(image_bytes, device="cpu")
    scale = np.float32(1)
    with pytest.raises(ValueError) as info:
        session.run({"x": np.zeros((5, 28, 28)), "scale": scale})
    assert str(info.value) == (
        "Input 'x' expects shape (batch, 28, 28, 1) float32; received (5, 28, 28) float64."
    )
    with pytest.raises(ValueError, match=r"received \(5, 28, 27, 1\) float32\.$"):
        session.run({"x": np.zeros((5, 28, 27, 1), np.float32), "scale": scale})
    with pytest.raises(ValueError, match=r"^Input 'x' .* received \(5, 28, 28, 1\) float64\.$"):
        session.run({"x": np.zeros((5, 28, 28, 1)), "scale": scale})
    with pytest.raises(
        ValueError, match=r"^Input 'scale' expects shape \(\) float32; received \(2,\)"
    ):
        session.run({"x": np.zeros((5, 28, 28, 1), np.float32), "scale": np.ones(2, np.float32)})


def test_missing_extra_inputs_and_outputs(image_bytes):
    session = Session(image_bytes, device="cpu")
    x = np.zeros((1, 28, 28, 1), np.float32)
    with pytest.raises(
        ValueError, match=r"^Missing input 'scale'; the model's inputs are 'x', 'scale'\.$"
    ):
        session.run({"x": x})
    with pytest.raises(ValueError, match=r"^Unknown input 'z'"):
        session.run({"x": x, "scale": np.float32(1), "z": x})
    with pytest.raises(ValueError, match=r"^Unknown output 'nope'"):
        session.run({"x": x, "scale": np.float32(1)}, output_names=["nope"])


def test_missing_file(tmp_path):
    missing = tmp_path / "absent.onnx"
    with pytest.raises(FileNotFoundError, match=r"absent\.onnx"):
        Session(missing, device="cpu")


def test_invalid_model(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"this is not a protobuf")
    with pytest.raises(ValueError) as info:
        Session(path, device="cpu")
    message = str(info.value)
    assert message.startswith(f"Cannot load ONNX model '{path}': ")
    assert "\n" not in message and "[ONNXRuntimeError]" not in message
    with pytest.raises(ValueError, match=r"^Cannot load ONNX model '<5 bytes>': "):
        Session(b"junk!", device="cpu")


def test_bad_model_type_and_device(image_bytes):
    with pytest.raises(TypeError, match="path or the serialized model"):
        Session(123, device="cpu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Received: device='gpu'"):
        Session(image_bytes, device="gpu")


def test_unknown_rank_input_accepts_any_rank():
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["u"], ["v"])],
        "g",
        [helper.make_tensor_value_info("u", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("v", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 21)])
    session = Session(model.SerializeToString(), device="cpu")
    assert session.inputs == [("u", (), "float32")]  # onnxruntime reports unknown rank as ()
    for value in (np.float32(1), np.ones(3, np.float32), np.ones((2, 2), np.float32)):
        (out,) = session.run({"u": value})
        np.testing.assert_array_equal(out, value)
