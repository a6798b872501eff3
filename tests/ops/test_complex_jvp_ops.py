"""Eager-only ops: ``jvp`` against analytic Jacobians, and the complex-valued ``polar`` /
``view_as_complex`` / ``view_as_real`` against numpy; all refuse traced tensors clearly."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops
from tests.ops.opcheck import case, check_eager, f32, params

X = f32(3, 4)
T = f32(3, 4)
M = f32(4, 2)


def _jvp(fn, *args):
    return lambda x, t: ops.jvp(fn, (x, *args), (t, *[np.zeros_like(a) for a in args]))


CASES = [
    case(
        "jvp",
        lambda x, t: ops.jvp(ops.sin, (x,), (t,))[1],
        lambda x, t: np.cos(x) * t,
        X,
        T,
        label="sin",
    ),
    case(
        "jvp",
        lambda x, t: ops.jvp(lambda a: ops.matmul(a, M), (x,), (t,))[1],
        lambda x, t: t @ M,
        X,
        T,
        label="matmul",
        rtol=1e-5,
    ),
    case(
        "jvp",
        lambda x, t: ops.jvp(lambda a: ops.sum(a * a, axis=1), (x,), (t,))[0],
        lambda x, t: (x * x).sum(1),
        X,
        T,
        label="primal",
    ),
    case(
        "jvp",
        lambda x, t: ops.jvp(lambda a, b: (a * b, a), (x, t), (t, x))[1][0],
        lambda x, t: t * t + x * x,
        X,
        T,
        label="two-args",
    ),
    case(
        "polar",
        ops.polar,
        lambda r, a: r * np.exp(1j * a),
        np.abs(X),
        T,
        dtype="complex64",
        label="values",
    ),
    case(
        "polar",
        lambda r: ops.polar(r, np.float32(np.pi / 2)),
        lambda r: 1j * r,
        np.abs(X),
        dtype="complex64",
        label="quarter",
        atol=1e-6,
    ),
    case(
        "view_as_complex",
        ops.view_as_complex,
        lambda x: x[..., 0] + 1j * x[..., 1],
        f32(3, 2),
        dtype="complex64",
        label="pairs",
    ),
    case(
        "view_as_complex",
        lambda x: ops.view_as_complex(ops.view_as_real(x[..., 0] + 1j * x[..., 1])),
        lambda x: x[..., 0] + 1j * x[..., 1],
        f32(2, 3, 2),
        dtype="complex64",
        label="roundtrip",
    ),
    case(
        "view_as_real",
        lambda x: ops.view_as_real(x[:, 0] + 1j * x[:, 1]),
        lambda x: x,
        f32(4, 2),
        label="pairs",
    ),
    case(
        "view_as_real",
        lambda x: ops.view_as_real(np.exp(1j * x)),
        lambda x: np.stack([np.cos(x), np.sin(x)], -1),
        f32(3),
        label="unit",
        rtol=1e-5,
    ),
]


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


def test_jvp_with_aux_and_errors():
    out, tan, aux = ops.jvp(lambda a: (ops.exp(a), a + 1.0), (X,), (T,), has_aux=True)
    np.testing.assert_allclose(out, np.exp(X), rtol=1e-6)
    np.testing.assert_allclose(tan, np.exp(X) * T, rtol=1e-5)
    np.testing.assert_allclose(aux, X + 1.0)
    with pytest.raises(ValueError, match="tangents"):
        ops.jvp(ops.sin, (X,), (M,))
    with pytest.raises(ValueError, match="eagerly only"):
        ops.jvp(ops.sin, (kgraph.KerasTensor((3,), "float32"),), (T,))


@pytest.mark.parametrize("name", ["polar", "view_as_complex", "view_as_real"])
def test_complex_ops_refuse_traced_tensors(name):
    t = kgraph.KerasTensor((3, 2), "float32")
    args = (t, t) if name == "polar" else (t,)
    with pytest.raises(ValueError, match="no complex dtype"):
        getattr(ops, name)(*args)
