"""Traced ``scan`` / ``fori_loop`` / ``map`` as one ONNX Scan: the exported graph holds one Scan
(no unrolled copies), runs over a dynamic batch axis, differentiates like float64 finite
differences (carries, per-step outputs, reverse scans, outer weights, nesting with cond), and
an RNN-like layer trains through ``fit`` like a numpy finite-difference reference. A
``fori_loop`` with traced bounds is a Loop: forward only, refused by the autodiff as in JAX."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

import kgraph
from kgraph import ops, trace
from kgraph.tensor import KerasTensor

if "harness_vjp" not in sys.modules:  # the autodiff tests' harness, loaded by path
    _spec = importlib.util.spec_from_file_location(
        "harness_vjp", Path(__file__).resolve().parents[1] / "harness_vjp.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["harness_vjp"] = _module
    _spec.loader.exec_module(_module)
from harness_vjp import check_graph_vjp

RNG = np.random.default_rng(8)
X = RNG.standard_normal((5, 3))
W = RNG.standard_normal(3)


class _Call(kgraph.layers.Layer):
    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def call(self, x):
        return self.fn(x)


def _ops_of(graph) -> list[str]:
    found = []
    for node in graph.node:
        found.append(node.op_type)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                found.extend(_ops_of(attribute.g))
    return found


def _top_ops(fn, shape):
    inp = kgraph.Input(shape)
    data = kgraph.Model(inp, _Call(fn)(inp)).to_onnx_bytes()
    return [n.op_type for n in onnx.load_from_string(data).graph.node]


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: ops.scan(lambda c, r: (c + r, c * r), ops.zeros_like(x[0]), x)[1],
        lambda x: ops.fori_loop(0, 20, lambda i, v: v * 0.5 + ops.cast(i, "float32"), x),
        lambda x: ops.map(lambda r: ops.sum(r * r), x),
        lambda x: ops.vectorized_map(lambda r: ops.outer(r, r), x),
        lambda x: ops.while_loop(lambda v: ops.max(ops.abs(v)) > 0.5, lambda v: v * 0.5, x, 100),
    ],
    ids=["scan", "fori_loop", "map", "vectorized_map", "while_loop-maximum_iterations"],
)
def test_one_scan_node_no_unrolling(fn):
    found = _top_ops(fn, (3,))
    assert found.count("Scan") == 1 and len(found) < 12, found


def test_map_over_a_dynamic_batch():
    inp = kgraph.Input((3,))
    model = kgraph.Model(
        inp, _Call(lambda x: ops.vectorized_map(lambda r: ops.outer(r, r), x))(inp)
    )
    assert model.output_shape == (None, 3, 3)
    for n in (1, 4):
        x = RNG.standard_normal((n, 3)).astype(np.float32)
        got = model.predict(x, batch_size=n, verbose=0)
        np.testing.assert_allclose(got, np.einsum("bi,bj->bij", x, x), rtol=1e-6)


def _check_grad(fn, *inputs):
    def build(b, values):
        with trace.tracing(trace.Trace(b)):
            tensors = [
                KerasTensor(v.shape, np.dtype(v.dtype.numpy()).name, value=v) for v in values
            ]
            out = fn(*tensors)
        return [t._value for t in (out if isinstance(out, (list, tuple)) else [out])]

    check_graph_vjp(build, list(inputs), wrt=tuple(range(len(inputs))), check=False)


def _rnn(x, w):
    """A carry that reads an outer weight, and per-step outputs of both carry and slice."""
    return ops.scan(lambda h, r: (ops.tanh(h * w + r), h * r), ops.zeros_like(w), x)


GRADIENT_CASES = {
    "carry-and-ys": (lambda x, w: list(_rnn(x, w)), X, W),
    "reverse": (
        lambda x, w: list(ops.scan(lambda c, r: (ops.sin(c) * w + r, c * r), w, x, reverse=True)),
        X,
        W,
    ),
    "tree-carry-int-counter": (
        lambda x, w: ops.scan(
            lambda c, r: ((c[0] + 1, c[1] * ops.cast(c[0], "float64") + r * w), None),
            (0, w),
            x,
        )[0][1],
        X,
        W,
    ),
    "fori_loop-index": (
        lambda x, w: ops.fori_loop(1, 4, lambda i, v: v * w + ops.take(x, i, axis=0), x[0]),
        X,
        W,
    ),
    "while_loop-maximum_iterations": (
        lambda x, w: ops.while_loop(
            lambda i, v: ops.sum(v) < 40.0, lambda i, v: (i + 1, v * w + 1.0), (0, x), 50
        )[1],
        np.abs(X) + 1.0,
        np.abs(W) + 1.0,
    ),
    "map-outer-weight": (lambda x, w: ops.map(lambda r: ops.exp(r * w), x), X, W),
    "cond-in-scan": (
        lambda x, w: ops.scan(
            lambda c, r: (ops.cond(ops.sum(r) > 0, lambda: c * w + r, lambda: c - r * r), c),
            w,
            x,
        )[1],
        X,
        W,
    ),
    "scan-in-cond": (
        lambda x, w: ops.cond(
            ops.sum(w) > 0, lambda: _rnn(x, w)[1], lambda: _rnn(x * 2.0, w * w)[1]
        ),
        X,
        W,
    ),
    "scan-in-scan": (
        lambda x, w: ops.scan(lambda c, r: (ops.map(lambda v: v * c + w, r[None])[0], c), w, x)[1],
        X,
        W,
    ),
}


@pytest.mark.parametrize("name", list(GRADIENT_CASES))
def test_gradients_match_finite_differences(name):
    fn, *inputs = GRADIENT_CASES[name]
    _check_grad(fn, *inputs)


def test_scan_in_cond_both_branches():
    fn = GRADIENT_CASES["scan-in-cond"][0]
    _check_grad(fn, X, -np.abs(W))


class Recurrent(kgraph.layers.Layer):
    """``h_t = tanh(h_{t-1} * u + x_t @ k)`` over the time axis, one ONNX Scan."""

    def build(self, input_shape):
        self.k = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", name="k")
        self.u = self.add_weight(shape=(2,), initializer="ones", name="u")

    def call(self, x):
        steps = ops.transpose(x, (1, 0, 2))
        h0 = ops.zeros_like(steps[0] @ self.k)
        last, _ = ops.scan(lambda h, r: (ops.tanh(h * self.u + r @ self.k), None), h0, steps)
        return last

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2)


def _loss(k, u, x, t):
    h = np.zeros((x.shape[0], 2))
    for step in range(x.shape[1]):
        h = np.tanh(h * u + x[:, step] @ k)
    return ((h - t) ** 2).mean()


def test_scan_layer_trains_through_fit():
    kgraph.utils.clear_session()
    inp = kgraph.Input((4, 3))
    layer = Recurrent()
    model = kgraph.Model(inp, layer(inp))
    model.compile(optimizer=kgraph.optimizers.SGD(0.5), loss="mse")
    k, u = np.float64(RNG.standard_normal((3, 2)) * 0.5), np.float64([0.7, -0.4])
    layer.set_weights([k.astype(np.float32), u.astype(np.float32)])
    x = RNG.standard_normal((6, 4, 3)).astype(np.float32)
    t = RNG.standard_normal((6, 2)).astype(np.float32)
    want = []
    for i, w in enumerate((k, u)):
        grad = np.zeros_like(w)
        for j in np.ndindex(w.shape):
            moved = [k.copy(), u.copy()]
            moved[i][j] += 1e-6
            up = _loss(*moved, x, t)
            moved[i][j] -= 2e-6
            grad[j] = (up - _loss(*moved, x, t)) / 2e-6
        want.append(w - 0.5 * grad)
    model.fit(x, t, batch_size=6, epochs=1, verbose=0, shuffle=False)
    for got, w in zip(layer.get_weights(), want):
        np.testing.assert_allclose(got, w, rtol=1e-4, atol=1e-6)


def test_fori_loop_with_traced_bounds_is_a_loop_without_gradient():
    def fn(x):
        n = ops.cast(ops.sum(ops.abs(x)) * 0.0 + 3.0, "int32")
        return ops.fori_loop(0, n, lambda i, v: v * 2.0 + ops.cast(i, "float32"), x)

    assert "Loop" in _top_ops(fn, (3,))
    inp = kgraph.Input((3,))
    model = kgraph.Model(inp, _Call(fn)(inp))
    x = X[:2].astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), ((x * 2 + 0) * 2 + 1) * 2 + 2)
    with pytest.raises(NotImplementedError, match="'Loop'"):
        _check_grad(fn, X)
