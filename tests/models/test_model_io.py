"""Model inputs and outputs in the shapes Keras users write them: a Sequential built by its first
``predict``, dict outputs returned as dicts, and an input returned as an output."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

import kgraph as keras
from kgraph import layers

RNG = np.random.default_rng(3)
X = RNG.standard_normal((5, 3)).astype(np.float32)


def dense_ref(layer, x):
    kernel, bias = layer.get_weights()
    return x @ kernel + bias


def test_sequential_without_input_is_built_by_predict():
    model = keras.Sequential([layers.Dense(4, name="first"), layers.Dense(2, name="second")])
    out = model.predict(X, verbose=0)
    want = dense_ref(model.layers[1], dense_ref(model.layers[0], X))
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    assert model.layers[0].get_weights()[0].shape == (3, 4)


def test_dict_outputs_come_back_as_a_dict():
    x = keras.Input((3,), name="x")
    p, q = layers.Dense(2, name="p"), layers.Dense(1, name="q")
    model = keras.Model(x, {"score": p(x), "aux": q(x)})
    out = model.predict(X, verbose=0)
    assert isinstance(out, dict) and sorted(out) == ["aux", "score"]
    np.testing.assert_allclose(out["score"], dense_ref(p, X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["aux"], dense_ref(q, X), rtol=1e-5, atol=1e-6)
    eager = model(X)
    assert isinstance(eager, dict)
    np.testing.assert_allclose(eager["aux"], out["aux"])


def test_an_input_returned_as_an_output(tmp_path):
    x = keras.Input((3,), name="x")
    dense = layers.Dense(2, name="d")
    model = keras.Model(x, [x, dense(x)])
    assert model.output_names == ["x_output", "d"]
    same, projected = model.predict(X, verbose=0)
    np.testing.assert_array_equal(same, X)
    np.testing.assert_allclose(projected, dense_ref(dense, X), rtol=1e-5, atol=1e-6)
    model.export(tmp_path / "m.onnx", verbose=False)
    session = ort.InferenceSession(tmp_path / "m.onnx", providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["x_output", "d"]
    np.testing.assert_array_equal(session.run(["x_output"], {"x": X})[0], X)


def test_predict_reports_progress_like_keras(capsys):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="d")])
    x = RNG.standard_normal((70, 3)).astype(np.float32)
    events = []

    class Hooks(keras.callbacks.Callback):
        def on_predict_begin(self, logs=None):
            events.append("begin")

        def on_predict_end(self, logs=None):
            events.append("end")

    out = model.predict(x, callbacks=[Hooks()])
    assert capsys.readouterr().out.startswith("3/3 ━")
    assert events == ["begin", "end"]
    np.testing.assert_allclose(out, dense_ref(model.layers[0], x), rtol=1e-5, atol=1e-6)
    assert model.predict(x, verbose=2).shape == (70, 2)
    assert capsys.readouterr().out.startswith("3/3 - ")
    first = model.predict(x, verbose=0, steps=2)
    np.testing.assert_array_equal(first, out[:64])
    model.predict_on_batch(x)
    model(x)
    assert capsys.readouterr().out == ""
