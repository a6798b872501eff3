"""``kgraph.export.ExportArchive``: endpoints traced from their input signatures and written
as ONNX graphs that onnxruntime runs to the model's values; variable collections as .npz."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

import kgraph
from kgraph import layers, ops
from kgraph.export import ExportArchive

RNG = np.random.default_rng(0)


def _model():
    inputs = kgraph.Input((3,), name="x")
    return kgraph.Model(inputs, layers.Dense(2, name="d")(inputs))


def _run(path, *arrays):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: a for i, a in zip(session.get_inputs(), arrays)}
    return session.run(None, feeds)


def test_endpoints_are_onnx_graphs_with_the_model_values(tmp_path):
    model = _model()
    kernel, bias = model.get_layer("d").get_weights()
    archive = ExportArchive()
    archive.track(model)
    serve = archive.add_endpoint(
        "serve", model.call, input_signature=[kgraph.InputSpec(shape=(None, 3), dtype="float32")]
    )
    archive.add_endpoint(
        "scaled",
        lambda x: ops.multiply(model(x), 2.0),
        input_signature=[kgraph.InputSpec(shape=(None, 3), dtype="float32")],
    )
    archive.add_variable_collection("dense_weights", model.get_layer("d").weights)
    archive.write_out(tmp_path / "artifact", verbose=False)
    x = RNG.random((4, 3), dtype=np.float32)
    want = x @ kernel + bias
    np.testing.assert_allclose(serve(x), want, rtol=1e-5)
    np.testing.assert_allclose(_run(tmp_path / "artifact" / "serve.onnx", x)[0], want, rtol=1e-5)
    np.testing.assert_allclose(
        _run(tmp_path / "artifact" / "scaled.onnx", x)[0], 2 * want, rtol=1e-5
    )
    saved = np.load(tmp_path / "artifact" / "dense_weights.npz")
    np.testing.assert_array_equal(saved["d__kernel"], kernel)
    assert [v.path for v in archive.variables] == ["d/kernel", "d/bias"]


def test_a_model_method_needs_no_signature_and_two_inputs_arrive_as_a_list(tmp_path):
    a, b = kgraph.Input((2,), name="a"), kgraph.Input((2,), name="b")
    model = kgraph.Model([a, b], layers.Add()([a, b]))
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call)  # traced on the model's own inputs
    archive.write_out(tmp_path / "two", verbose=False)
    x, y = RNG.random((3, 2), dtype=np.float32), RNG.random((3, 2), dtype=np.float32)
    np.testing.assert_allclose(_run(tmp_path / "two" / "serve.onnx", x, y)[0], x + y, rtol=1e-6)


def test_errors_as_keras():
    archive = ExportArchive()
    with pytest.raises(ValueError, match="Expected a Keras `Layer` or `Model`"):
        archive.track("model")
    with pytest.raises(ValueError, match="has not yet been built"):
        archive.track(layers.Dense(2))
    with pytest.raises(ValueError, match="No endpoints have been set yet"):
        archive.write_out("unused")
    with pytest.raises(ValueError, match="`input_signature` argument must be provided"):
        archive.add_endpoint("serve", lambda x: x)
    model = _model()
    archive.add_endpoint("serve", model.call)
    with pytest.raises(ValueError, match="'serve' is already taken"):
        archive.add_endpoint("serve", model.call)
