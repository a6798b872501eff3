"""``kgraph.Function``: a computation captured from ``Input`` tensors, rerun on numpy values
(expected values in numpy), on symbolic tensors, and for output specs."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops


def _two_input_function():
    a, b = kgraph.Input((3,)), kgraph.Input((3,))
    fn = kgraph.Function([a, b], {"sum": a + b, "gate": ops.sigmoid(a) * b})
    return fn, a, b


def test_runs_on_new_values() -> None:
    fn, _, _ = _two_input_function()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    out = fn([x, y])
    assert sorted(out) == ["gate", "sum"]
    np.testing.assert_allclose(out["sum"], x + y, rtol=1e-6)
    np.testing.assert_allclose(out["gate"], y / (1 + np.exp(-x)), rtol=1e-5, atol=1e-6)
    assert len(fn.inputs) == 2 and len(fn.outputs) == 2


def test_composes_symbolically_into_a_model() -> None:
    fn, a, b = _two_input_function()
    inner = fn([a, b])
    model = kgraph.Model([a, b], kgraph.layers.Dense(1, kernel_initializer="ones")(inner["sum"]))
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(model.predict([x, 2 * x], verbose=0), np.full((2, 1), 9.0))


def test_output_spec_and_shape() -> None:
    a = kgraph.Input((3,))
    fn = kgraph.Function(a, [a * 2, ops.cast(a, "int32")])
    spec = fn.compute_output_spec(kgraph.KerasTensor((5, 3)))
    assert [(t.shape, t.dtype) for t in spec] == [((5, 3), "float32"), ((5, 3), "int32")]
    assert fn.compute_output_shape((None, 3)) == [(None, 3), (None, 3)]


def test_names_and_errors() -> None:
    a = kgraph.Input((3,))
    first, second = kgraph.Function(a, a), kgraph.Function(a, a)
    assert first.name.startswith("function") and second.name.startswith("function_")
    assert second.name != first.name
    assert kgraph.Function(a, a, name="mine").name == "mine"
    with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
        kgraph.Function([], a)
    with pytest.raises(ValueError, match="`outputs` argument cannot be empty"):
        kgraph.Function(a, [])
    fn, _, _ = _two_input_function()
    with pytest.raises(ValueError):
        fn([np.ones((2, 3), "float32")])
