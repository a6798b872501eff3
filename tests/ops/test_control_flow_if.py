"""Traced ``cond`` / ``switch`` as ONNX If: the exported graph holds If nodes (no selecting
Where), runs in onnxruntime before and after ``kgraph compile --optimize``'s transform, and a
layer whose cond reads its own weight trains through ``fit`` like a float64 finite-difference
reference written in numpy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import kgraph
from kgraph import ops, trace
from kgraph.cli_compile_options import CompileOptions, transform
from kgraph.tensor import KerasTensor

if "harness_vjp" not in sys.modules:  # the autodiff tests' harness, loaded by path
    _spec = importlib.util.spec_from_file_location(
        "harness_vjp", Path(__file__).resolve().parents[1] / "harness_vjp.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["harness_vjp"] = _module
    _spec.loader.exec_module(_module)
from harness_vjp import check_graph_vjp

RNG = np.random.default_rng(5)
X = RNG.standard_normal((4, 3)).astype(np.float32)


class _Call(kgraph.layers.Layer):
    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, x):
        return self.fn(x)


def _model(fn, shape=(3,)):
    inp = kgraph.Input(shape)
    return kgraph.Model(inp, _Call(fn)(inp))


def _ops_of(graph) -> list[str]:
    """Op types of ``graph`` and all its subgraphs."""
    found = []
    for node in graph.node:
        found.append(node.op_type)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                found.extend(_ops_of(attribute.g))
    return found


def _run(data: bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _gate(x):
    return ops.cond(ops.sum(x) > 0, lambda: ops.exp(x) * 2.0, lambda: ops.sin(x) - 1.0)


def _gate_ref(x):
    return np.exp(x) * 2 if x.sum() > 0 else np.sin(x) - 1


@pytest.mark.parametrize("optimize", [False, True], ids=["plain", "optimize"])
def test_cond_exports_one_if(optimize):
    data = _model(_gate).to_onnx_bytes()
    if optimize:
        data = transform(data, CompileOptions(optimize=True))
    graph = onnx.load_from_string(data).graph
    top = [n.op_type for n in graph.node]
    assert top.count("If") == 1 and "Where" not in _ops_of(graph), top
    for x in (np.abs(X), -np.abs(X)):
        np.testing.assert_allclose(_run(data, x), _gate_ref(x), rtol=1e-6)


def _switch(x):
    index = ops.cast(ops.sum(x), "int32")
    return ops.switch(index, [lambda a: a * 2.0, lambda a: -a, lambda a: ops.square(a)], x)


def _switch_ref(x):
    branches = [lambda a: a * 2, lambda a: -a, np.square]
    return branches[int(np.clip(int(np.float32(x.sum())), 0, 2))](x)


def test_switch_is_a_chain_of_ifs():
    model = _model(_switch, (2,))
    data = model.to_onnx_bytes()
    found = _ops_of(onnx.load_from_string(data).graph)
    assert found.count("If") == 2 and "Where" not in found
    for total in (-3.0, 0.0, 1.0, 2.0, 9.0):  # clamped below and above, as in Keras
        x = np.array([[total / 2 + 0.25, total / 2 - 0.25]], np.float32)
        np.testing.assert_allclose(_run(data, x), _switch_ref(x), rtol=1e-6)
        np.testing.assert_allclose(model.predict(x, verbose=0), _switch_ref(x), rtol=1e-6)


def test_cond_branches_of_different_dtypes_and_constants():
    def fn(x):
        total = ops.sum(x)
        return ops.cond(total > 0, lambda: (total, ops.cast(total, "int32")), lambda: (0.5, 7))

    inp = kgraph.Input((3,))
    a, b = _Call(fn)(inp)
    model = kgraph.Model(inp, [a, b])
    for x, want in ((np.abs(X), np.abs(X).sum()), (-np.abs(X), 0.5)):
        got = model.predict(x, verbose=0)
        np.testing.assert_allclose(got[0], want, rtol=1e-6)
        assert got[1].dtype == np.int32 and got[1] == (int(want) if want != 0.5 else 7)


class Gate(kgraph.layers.Layer):
    """``x * w`` when the batch mean is positive, else ``tanh(x) * 2 w + w``: both branches read
    the layer's own weight from the enclosing graph."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return ops.cond(
            ops.mean(x) > 0.0,
            lambda: x * self.w,
            lambda: ops.tanh(x) * self.w * 2.0 + self.w,
        )

    def compute_output_shape(self, input_shape):
        return input_shape


def _loss(kernel, bias, w, x, t):
    h = x @ kernel + bias
    y = h * w if h.mean() > 0 else np.tanh(h) * w * 2 + w
    return ((y - t) ** 2).mean()


def _fd_step(weights, x, t, lr, eps=1e-6):
    """One SGD step with float64 central-difference gradients of ``_loss``."""
    weights = [w.astype(np.float64) for w in weights]
    stepped = []
    for i, w in enumerate(weights):
        grad = np.zeros_like(w)
        for j in np.ndindex(w.shape):
            for sign in (1, -1):
                moved = [v.copy() for v in weights]
                moved[i][j] += sign * eps
                grad[j] += sign * _loss(*moved, x, t) / (2 * eps)
        stepped.append(w - lr * grad)
    return stepped


@pytest.mark.parametrize("shift", [2.0, -2.0], ids=["then", "else"])
def test_cond_layer_trains_through_fit(shift):
    kgraph.utils.clear_session()
    inp = kgraph.Input((3,))
    dense = kgraph.layers.Dense(2)
    gate = Gate()
    model = kgraph.Model(inp, gate(dense(inp)))
    model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse")
    x = (RNG.standard_normal((8, 3)) * 0.5 + shift).astype(np.float32)
    t = RNG.standard_normal((8, 2)).astype(np.float32)
    kernel = np.array([[0.3, 0.5], [0.2, -0.1], [0.4, 0.6]], np.float32)
    bias = np.array([0.1, -0.2], np.float32)
    dense.set_weights([kernel, bias])
    gate.set_weights([np.array([1.5, -0.5], np.float32)])
    want = _fd_step([kernel, bias, gate.get_weights()[0]], x, t, 0.1)
    assert (np.mean(x @ kernel + bias) > 0) == (shift > 0)  # the branch the test means to take
    model.fit(x, t, batch_size=8, epochs=1, verbose=0, shuffle=False)
    got = [*dense.get_weights(), *gate.get_weights()]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)


def test_branch_cannot_assign_variables():
    class Counter(kgraph.layers.Layer):
        def build(self, input_shape):
            self.n = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            def bump():
                self.n.assign(self.n + 1.0)
                return x

            return ops.cond(ops.sum(x) > 0, bump, lambda: x)

    with pytest.raises(ValueError, match=r"cannot assign variables.*Received"):
        _model(Counter()).predict(X, verbose=0)


def _check_grad(fn, x):
    def build(b, values):
        with trace.tracing(trace.Trace(b)):
            out = fn(KerasTensor(values[0].shape, "float64", value=values[0]))
        return [out._value]

    return check_graph_vjp(build, [x], wrt=(0,), check=False)


@pytest.mark.parametrize("total", [-3.0, 0.5, 1.5, 9.0], ids=["clamp-low", "0", "1", "clamp-high"])
def test_switch_gradients_match_finite_differences(total):
    def fn(x):
        index = ops.cast(ops.floor(ops.sum(x)), "int32")
        branches = [lambda a: a, lambda a: ops.sin(a) * a, lambda a: ops.exp(a) + 0.0 * a]
        return ops.switch(index, branches, x)

    x = np.array([[total / 2 + 0.1, total / 2 - 0.1]])
    _check_grad(fn, x)


def test_cond_with_a_constant_branch_has_zero_gradient_there():
    def fn(x):
        return ops.cond(ops.sum(x) > 0, lambda: ops.square(x), lambda: ops.zeros_like(x) + 1.0)

    _check_grad(fn, np.abs(X.astype(np.float64)))
    result = _check_grad(fn, -np.abs(X.astype(np.float64)))
    np.testing.assert_array_equal(result.analytic[0], np.zeros_like(X))


class _CondScan(kgraph.layers.Layer):
    """A cond and a scan whose bodies read the layer's weight and the layer's input."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        y = ops.cond(ops.sum(x) > 0, lambda: x * self.w, lambda: x - self.w)
        return ops.scan(lambda c, r: (c + r * self.w + x[0], c), ops.zeros_like(x[0]), y)[1]

    def compute_output_shape(self, input_shape):
        return input_shape


@pytest.mark.parametrize(
    "options",
    [CompileOptions(functions=True), CompileOptions(optimize=True, functions=True)],
    ids=["functions", "optimize-functions"],
)
def test_layers_with_subgraphs_outline_into_functions(options):
    kgraph.utils.clear_session()
    inp = kgraph.Input((3,))
    layer = _CondScan()
    model = kgraph.Model(inp, layer(kgraph.layers.Dense(3)(inp)))
    layer.set_weights([np.array([0.5, -1.0, 2.0], np.float32)])
    data = transform(model.to_onnx_bytes(), options)
    proto = onnx.load_from_string(data)
    assert {f.name for f in proto.functions} >= {"dense", layer.name}
    for x in (np.abs(X), -np.abs(X)):
        np.testing.assert_allclose(_run(data, x), model.predict(x, verbose=0), rtol=1e-6)
