"""``kgraph.ops`` control flow and core utilities against numpy references: static predicates
fold, traced control flow becomes ONNX If / Scan / Loop (test_control_flow_if / _scan check the
graphs); checked eagerly, in a model and in plain onnxruntime, with gradients through the
differentiable forms and the Loop's refusal."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import kgraph
from kgraph import ops, trace
from kgraph.tensor import KerasTensor
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params

if "harness_vjp" not in sys.modules:  # the autodiff tests' harness, loaded by path
    _spec = importlib.util.spec_from_file_location(
        "harness_vjp", Path(__file__).resolve().parents[1] / "harness_vjp.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["harness_vjp"] = _module
    _spec.loader.exec_module(_module)
from harness_vjp import check_graph_vjp

X = f32(4, 3)
V = f32(5)


def _traced_cond(x):
    return ops.cond(ops.sum(x) > 0, lambda: x * 2.0, lambda: -x)


def _halve_until_small(x):
    """while_loop with a traced condition: halve while the max exceeds 0.5 (at most 6 times)."""
    return ops.while_loop(lambda v: ops.max(ops.abs(v)) > 0.5, lambda v: v * 0.5, x, 6)


def _halve_ref(x):
    for _ in range(6):
        if np.abs(x).max() <= 0.5:
            break
        x = x * 0.5
    return x


def _halve_ref_unbounded(x):
    while np.abs(x).max() > 0.5:
        x = x * 0.5
    return x


def _count_and_scale(x):
    """An int counter and a tensor that reads the enclosing graph's ``x`` (outer scope)."""
    return ops.while_loop(
        lambda i, v: ops.sum(v) < 100.0,
        lambda i, v: (i + 1, v + x * ops.cast(i, "float32")),
        (0, x),
    )


def _count_ref(x):
    i, v = 0, x
    while v.sum() < 100.0:
        v, i = v + x * i, i + 1
    return v


def _cumsum_scan(x):
    return ops.scan(lambda c, row: (c + row, c * row), ops.zeros_like(x[0]), x)


@ops.custom_gradient
def _clip_grad(x):
    return ops.tanh(x), lambda g: ops.clip(g, -1.0, 1.0)


CASES = [
    case("cond", _traced_cond, lambda x: x * 2 if x.sum() > 0 else -x, X, label="traced-pos"),
    case(
        "cond", _traced_cond, lambda x: x * 2 if x.sum() > 0 else -x, -np.abs(X), label="traced-neg"
    ),
    case(
        "cond",
        lambda x: ops.cond(True, lambda: x + 1.0, lambda: x),
        lambda x: x + 1,
        X,
        label="static",
    ),
    case(
        "switch",
        lambda x: ops.switch(
            ops.cast(ops.sum(x) > 0, "int32") + 1, [lambda a: a, lambda a: a * 3.0, lambda a: -a], x
        ),
        lambda x: -x if x.sum() > 0 else 3 * x,
        X,
        label="traced",
    ),
    case(
        "switch",
        lambda x: ops.switch(7, [lambda a: a, lambda a: a + 2.0], x),
        lambda x: x + 2,
        X,
        label="static-clamped",
    ),
    case("while_loop", _halve_until_small, _halve_ref, X * 4, label="traced"),
    case(
        "while_loop",
        lambda x: ops.while_loop(lambda v: ops.max(ops.abs(v)) > 0.5, lambda v: v * 0.5, x),
        _halve_ref_unbounded,
        X * 40,
        label="onnx-loop",
    ),
    case(
        "while_loop",
        lambda x: _count_and_scale(x)[1],
        _count_ref,
        np.abs(X) + 0.1,
        label="onnx-loop-two-vars",
        rtol=1e-5,
    ),
    case(
        "while_loop",
        lambda x: ops.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * v), (0, x))[1],
        lambda x: x**8,
        X,
        label="static",
        rtol=1e-4,
    ),
    case(
        "fori_loop",
        lambda x: ops.fori_loop(0, 3, lambda i, v: v + i * x, x),
        lambda x: x + 3 * x,
        X,
        label="sum",
    ),
    case(
        "fori_loop",
        lambda x: ops.fori_loop(2, 2, lambda i, v: v * 0.0, x),
        lambda x: x,
        X,
        label="empty",
    ),
    case("scan", lambda x: _cumsum_scan(x)[0], lambda x: x.sum(0), X, label="carry"),
    case(
        "scan",
        lambda x: _cumsum_scan(x)[1],
        lambda x: np.stack([np.cumsum(x, 0)[i - 1] * x[i] if i else 0 * x[0] for i in range(4)]),
        X,
        label="ys",
    ),
    case(
        "scan",
        lambda x: ops.scan(lambda c, r: (c * 0.5 + r, c), x[0], x, reverse=True)[1],
        lambda x: _reverse_scan_ys(x),
        X,
        label="reverse",
    ),
    case(
        "map",
        lambda x: ops.map(lambda r: ops.sum(r * r), x),
        lambda x: (x * x).sum(1),
        X,
        label="rows",
    ),
    case("map", lambda x: ops.map(lambda r: r[::-1], x), lambda x: x[:, ::-1], X, label="flip"),
    case(
        "vectorized_map",
        lambda x: ops.vectorized_map(lambda r: ops.max(r), x),
        lambda x: x.max(1),
        X,
        label="max",
    ),
    case(
        "vectorized_map",
        lambda x: ops.vectorized_map(lambda r: ops.outer(r, r), x),
        lambda x: np.einsum("bi,bj->bij", x, x),
        X,
        label="outer",
    ),
    case(
        "associative_scan", lambda v: ops.associative_scan(ops.add, v), np.cumsum, V, label="cumsum"
    ),
    case(
        "associative_scan",
        lambda x: ops.associative_scan(ops.maximum, x, reverse=True, axis=1),
        lambda x: np.maximum.accumulate(x[:, ::-1], axis=1)[:, ::-1],
        X,
        label="reverse-max",
    ),
    case(
        "saturate_cast",
        lambda x: ops.saturate_cast(x * 1e10, "int32"),
        lambda x: np.clip(x.astype(np.float32) * np.float32(1e10), -2147483648, 2147483520).astype(
            np.int32
        ),
        X,
        dtype="int32",
        label="float-int32",
        rtol=0,
        atol=0,
        fed=(True,),
    ),
    case(
        "saturate_cast",
        lambda x: ops.saturate_cast(x * 100.0, "uint8"),
        lambda x: np.clip(x * 100, 0, 255).astype(np.uint8),
        X,
        dtype="uint8",
        label="uint8",
    ),
    case("custom_gradient", _clip_grad, np.tanh, X, label="forward"),
    case(
        "custom_gradient",
        lambda x: _clip_grad(x * 3.0),
        lambda x: np.tanh(3 * x),
        X,
        label="scaled",
    ),
]


def _reverse_scan_ys(x):
    c, ys = x[0], [None] * 4
    for i in range(3, -1, -1):
        ys[i] = c
        c = c * 0.5 + x[i]
    return np.stack(ys)


EAGER_CASES = [
    case(
        "is_tensor",
        lambda x: np.asarray(ops.is_tensor(x)),
        lambda x: np.asarray(True),
        X,
        dtype="bool",
        label="array",
    ),
    case(
        "is_tensor",
        lambda x: np.asarray(ops.is_tensor([1.0])),
        lambda x: np.asarray(False),
        X,
        dtype="bool",
        label="list",
    ),
    case(
        "dtype",
        lambda x: np.asarray(ops.dtype(x) == "float32"),
        lambda x: np.asarray(True),
        X,
        dtype="bool",
        label="float32",
    ),
    case(
        "dtype",
        lambda x: np.asarray(ops.dtype(ops.cast(x, "int8")) == "int8"),
        lambda x: np.asarray(True),
        X,
        dtype="bool",
        label="int8",
    ),
    case("convert_to_numpy", ops.convert_to_numpy, lambda x: x, X, label="array"),
    case(
        "convert_to_numpy",
        lambda x: ops.convert_to_numpy(kgraph.Variable(x)),
        lambda x: x,
        X,
        label="variable",
    ),
]
ALL_CASES = CASES + EAGER_CASES


@pytest.mark.parametrize("c", params(ALL_CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_onnx(c):
    check_onnx(c)


def _check_grad(fn, *inputs):
    def build(b, values):
        with trace.tracing(trace.Trace(b)):
            tensors = [
                KerasTensor(v.shape, np.dtype(v.dtype.numpy()).name, value=v) for v in values
            ]
            out = fn(*tensors)
        return [out._value]

    check_graph_vjp(build, list(inputs), wrt=tuple(range(len(inputs))), check=False)


@pytest.mark.parametrize(
    "fn,x",
    [
        (_traced_cond, np.abs(X).astype(np.float64)),
        (_traced_cond, -np.abs(X).astype(np.float64)),
        (_halve_until_small, 4 * X.astype(np.float64)),
        (lambda x: _cumsum_scan(x)[1], X.astype(np.float64)),
        (lambda x: ops.associative_scan(ops.multiply, x, axis=1), X.astype(np.float64)),
    ],
    ids=["cond-true", "cond-false", "while_loop", "scan", "associative_scan"],
)
def test_gradients_match_finite_differences(fn, x):
    _check_grad(fn, x)


def _gradient(fn, x, upstream):
    """d <fn(x), upstream> / dx through the graph autodiff (no finite differences: a custom
    gradient need not be the true one)."""
    from kgraph.compiler import serde
    from kgraph.compiler.autodiff import ensure_shapes, gradients
    from kgraph.compiler.builder import GraphBuilder

    b = GraphBuilder(name="g")
    xv = b.input("x", x.shape, x.dtype)
    uv = b.input("u", upstream.shape, upstream.dtype)
    with trace.tracing(trace.Trace(b)):
        out = fn(KerasTensor(x.shape, x.dtype.name, value=xv))
    loss = b.op("ReduceSum", [b.op("Mul", [out._value, uv])], {"keepdims": 0})
    ensure_shapes(b.graph)
    (grad,) = gradients(b, loss, [xv])
    b.output(grad, "grad")
    from harness_vjp import session

    sess = session(serde.to_bytes(serde.to_model(b.graph), check=False))
    return sess.run(None, {"x": x, "u": upstream})[0]


@ops.custom_gradient
def _straight_through(x):
    """Rounds forward; passes the upstream gradient unchanged (the STE)."""
    return ops.round(x), lambda g: g


@ops.custom_gradient
def _scaled_by_input(x):
    """Forward ``x ** 2``; a deliberately different VJP ``g * exp(x)`` that closes over ``x``."""
    e = ops.exp(x)
    return ops.square(x), lambda g: ops.multiply(g, e)


@ops.custom_gradient
def _two_args(x, y):
    return x * y, lambda g: (g * 10.0, g * 100.0)


U = np.random.default_rng(9).standard_normal((4, 3)).astype(np.float32)


def test_onnx_loop_refuses_differentiation_by_naming_loop():
    def loop(x):
        return ops.while_loop(lambda v: ops.sum(v) < 50.0, lambda v: v * 2.0, x)

    with pytest.raises(NotImplementedError, match="'Loop'"):
        _check_grad(loop, np.abs(X).astype(np.float64) + 0.1)
    np.testing.assert_allclose(  # with maximum_iterations it unrolls and differentiates
        _gradient(
            lambda x: ops.while_loop(lambda v: ops.sum(v) < 50.0, lambda v: v * 2.0, x, 8),
            np.abs(X) + 0.1,
            U,
        ),
        U * 2.0 ** _doublings(np.abs(X) + 0.1),
        rtol=1e-6,
    )


def _doublings(x):
    n = 0
    while x.sum() * 2**n < 50.0:
        n += 1
    return n


def test_custom_gradient_uses_grad_fn():
    np.testing.assert_allclose(_gradient(_clip_grad, X, U * 5), np.clip(U * 5, -1, 1), rtol=1e-6)
    np.testing.assert_allclose(_gradient(_straight_through, X, U), U, rtol=1e-6)
    got = _gradient(lambda x: _scaled_by_input(x * 2.0), X, U)
    np.testing.assert_allclose(got, U * np.exp(2 * X) * 2.0, rtol=1e-5)
    got = _gradient(lambda x: _two_args(x, ops.sin(x)), X, U)
    np.testing.assert_allclose(got, U * 10.0 + U * 100.0 * np.cos(X), rtol=1e-5)


def test_custom_gradient_trains_a_model():
    """A Dense layer in front of a straight-through rounding trains (round's own gradient is 0)."""
    inp = kgraph.Input((3,))
    dense = kgraph.layers.Dense(1, kernel_initializer="ones", use_bias=False)
    model = kgraph.Model(inp, _STE()(dense(inp)))
    model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse")
    x = np.array([[0.4, 1.6, -0.7]], np.float32)
    model.fit(x, np.array([[0.0]], np.float32), epochs=1, verbose=0)
    # z = x.w = 1.3 rounds to 1; loss 1^2; the STE passes dL/dz = 2, so dL/dw = 2 x
    np.testing.assert_allclose(dense.get_weights()[0][:, 0], 1.0 - 0.1 * 2 * x[0], rtol=1e-6)


class _STE(kgraph.layers.Layer):
    def call(self, x):
        return _straight_through(x)


def test_custom_gradient_with_several_outputs_refuses_differentiation():
    @ops.custom_gradient
    def pair(x):
        return (x * 2.0, x * 3.0), lambda g1, g2: g1 + g2

    with pytest.raises(ValueError, match="custom_gradient"):
        _check_grad(lambda x: pair(x)[0], X.astype(np.float64))


def test_errors_name_the_culprit():
    t = KerasTensor((3,), "float32")
    with pytest.raises(ValueError, match="concrete"):
        ops.convert_to_numpy(t)
    with pytest.raises(ValueError, match="one leading length"):
        ops.scan(lambda c, x: (c, x), t, (KerasTensor((2, 3)), KerasTensor((4, 3))))
    with pytest.raises(ValueError, match="same structure"):
        ops.cond(ops.sum(t) > 0, lambda: t, lambda: (t, t))
