"""``kgraph.Operation``: a user subclass with a ``call`` in ``kgraph.ops`` computes eagerly,
traces into functional models (predict, fit, export) and has Keras' automatic config
(expected values in numpy)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops


class Scale(kgraph.Operation):
    def __init__(self, factor=2.0, name=None):
        super().__init__(name=name)
        self.factor = factor

    def call(self, x, bias=0.0):
        return ops.tanh(x) * self.factor + bias


X = np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)


def test_eager_call_computes() -> None:
    out = Scale(3.0)(X, bias=1.0)
    np.testing.assert_allclose(out, np.tanh(X) * 3.0 + 1.0, rtol=1e-6)


def test_traces_into_a_model_that_predicts_exports_and_trains(tmp_path) -> None:
    inputs = kgraph.Input((3,))
    outputs = kgraph.layers.Dense(1, kernel_initializer="ones")(Scale(0.5)(inputs))
    model = kgraph.Model(inputs, outputs)
    expected = (np.tanh(X) * 0.5).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    import onnxruntime as ort

    path = tmp_path / "op.onnx"
    model.export(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    exported = session.run(None, {session.get_inputs()[0].name: X})[0]
    np.testing.assert_allclose(exported, expected, rtol=1e-5, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    before = model.evaluate(X, np.zeros((2, 1)), verbose=0)
    model.fit(X, np.zeros((2, 1)), epochs=3, verbose=0)
    assert model.evaluate(X, np.zeros((2, 1)), verbose=0) < before


def test_output_spec() -> None:
    spec = Scale().compute_output_spec(kgraph.KerasTensor((None, 3)))
    assert (spec.shape, spec.dtype) == ((None, 3), "float32")


def test_names_config_and_errors() -> None:
    op = Scale(3.0)
    assert op.name.startswith("scale") and repr(op) == f"<Operation name={op.name}>"
    config = op.get_config()
    assert config == {"name": op.name, "factor": 3.0}
    assert Scale.from_config(config).factor == 3.0
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        kgraph.Operation(name="a/b")
    with pytest.raises(NotImplementedError):
        kgraph.Operation()(X)

    class Holding(kgraph.Operation):
        def __init__(self, weights):
            super().__init__()
            self.weights = weights

    with pytest.raises(NotImplementedError, match="non-serializable"):
        Holding(np.ones(2)).get_config()
