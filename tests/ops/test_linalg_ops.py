"""``kgraph.ops.linalg`` against numpy: the in-graph ops eagerly, in a model and in plain
onnxruntime; the eager-only decompositions eagerly, and refusing to trace with one clear error."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import kgraph
from kgraph import ops, trace
from kgraph.ops import linalg
from kgraph.tensor import KerasTensor
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, params

if "harness_vjp" not in sys.modules:  # the autodiff tests' harness, loaded by path
    _spec = importlib.util.spec_from_file_location(
        "harness_vjp", Path(__file__).resolve().parents[1] / "harness_vjp.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["harness_vjp"] = _module
    _spec.loader.exec_module(_module)
from harness_vjp import check_graph_vjp

RNG = np.random.default_rng(21)
A = (RNG.standard_normal((3, 4, 4)) + 2 * np.eye(4)).astype(np.float32)
B = RNG.standard_normal((3, 4, 2)).astype(np.float32)
ZERO_PIVOT = np.array([[[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]]], np.float32)
SPD = (A @ A.transpose(0, 2, 1) + np.eye(4)).astype(np.float32)
CHOL = np.linalg.cholesky(SPD.astype(np.float64)).astype(np.float32)
M = RNG.standard_normal((2, 5, 3)).astype(np.float32)


def _sign_logabs(x):
    sign, logabs = np.linalg.slogdet(x)
    return sign, logabs


MODEL_CASES = [
    case("det", ops.det, np.linalg.det, A, label="batch", rtol=1e-4),
    case("det", ops.det, np.linalg.det, ZERO_PIVOT, label="zero-pivot", rtol=1e-4),
    case("slogdet", lambda x: ops.slogdet(x)[0], lambda x: _sign_logabs(x)[0], A, label="sign"),
    case(
        "slogdet",
        lambda x: ops.slogdet(x)[1],
        lambda x: _sign_logabs(x)[1],
        A,
        label="logabs",
        rtol=1e-4,
    ),
    case("logdet", ops.logdet, lambda x: np.log(np.linalg.det(x)), SPD, label="spd", rtol=1e-4),
    case(
        "logdet",
        ops.logdet,
        lambda x: np.log(np.linalg.det(x)),
        SPD[:, :2, :2],
        label="2x2",
        rtol=1e-4,
    ),
    case("inv", ops.inv, np.linalg.inv, A, label="batch", rtol=1e-4, atol=1e-4),
    case(
        "inv",
        lambda x: ops.inv(x[0]),
        lambda x: np.linalg.inv(x[0]),
        A,
        label="2d",
        rtol=1e-4,
        atol=1e-4,
    ),
    case("inv", ops.inv, np.linalg.inv, ZERO_PIVOT, label="zero-pivot", rtol=1e-4, atol=1e-5),
    case("solve", ops.solve, np.linalg.solve, A, B, label="matrix", rtol=1e-4, atol=1e-4),
    case(
        "solve",
        lambda a, b: ops.solve(a, b[..., 0]),
        lambda a, b: np.linalg.solve(a, b[..., :1])[..., 0],
        A,
        B,
        label="vector",
        rtol=1e-4,
        atol=1e-4,
    ),
    case(
        "solve",
        lambda b, a: ops.solve(a, b),
        lambda b, a: np.linalg.solve(a, b),
        B,
        A[0],
        label="broadcast",
        rtol=1e-4,
        atol=1e-4,
    ),
    case(
        "solve_triangular",
        lambda a, b: ops.solve_triangular(a, b, lower=True),
        lambda a, b: np.linalg.solve(np.tril(a), b),
        A,
        B,
        label="lower",
        rtol=1e-4,
        atol=1e-4,
    ),
    case(
        "solve_triangular",
        ops.solve_triangular,
        lambda a, b: np.linalg.solve(np.triu(a), b),
        A,
        B,
        label="upper",
        rtol=1e-4,
        atol=1e-4,
    ),
    case("cholesky", ops.cholesky, np.linalg.cholesky, SPD, label="lower", rtol=1e-4, atol=1e-5),
    case(
        "cholesky",
        lambda x: ops.cholesky(x, upper=True),
        lambda x: np.linalg.cholesky(x).transpose(0, 2, 1),
        SPD,
        label="upper",
        rtol=1e-4,
        atol=1e-5,
    ),
    case(
        "cholesky_inverse",
        ops.cholesky_inverse,
        lambda c: np.linalg.inv(c @ c.transpose(0, 2, 1)),
        CHOL,
        label="lower",
        rtol=1e-3,
        atol=1e-4,
    ),
    case(
        "cholesky_inverse",
        lambda c: ops.cholesky_inverse(ops.swapaxes(c, 1, 2), upper=True),
        lambda c: np.linalg.inv(c @ c.transpose(0, 2, 1)),
        CHOL,
        label="upper",
        rtol=1e-3,
        atol=1e-4,
    ),
    *[
        case(
            "norm",
            lambda x, o=o: ops.norm(x, o, axis=(1, 2)),
            lambda x, o=o: np.linalg.norm(x, o, axis=(1, 2)),
            M,
            label=f"matrix-{o}",
            rtol=1e-5,
        )
        for o in (None, "fro", 1, -1, np.inf, -np.inf)
    ],
    *[
        case(
            "norm",
            lambda x, o=o: ops.norm(x, o, axis=-1, keepdims=True),
            lambda x, o=o: np.linalg.norm(x, o, axis=-1, keepdims=True),
            M,
            label=f"vector-{o}",
            rtol=1e-5,
        )
        for o in (None, 1, 3, 0, np.inf, -np.inf)
    ],
    case("norm", ops.norm, np.linalg.norm, M, label="all"),
]


def _dec(fn, i):
    return lambda x: fn(x)[i]


EAGER_CASES = [
    case(
        "qr",
        lambda x: np.abs(ops.qr(x)[0]),
        lambda x: np.abs(np.linalg.qr(x)[0]),
        M,
        label="q",
        atol=1e-5,
    ),
    case(
        "qr",
        lambda x: np.abs(ops.qr(x, "complete")[1]),
        lambda x: np.abs(np.linalg.qr(x, "complete")[1]),
        M,
        label="r-complete",
        atol=1e-5,
    ),
    case(
        "svd",
        lambda x: ops.svd(x, compute_uv=False),
        lambda x: np.linalg.svd(x)[1],
        M,
        label="values",
    ),
    case(
        "svd",
        lambda x: np.abs(ops.svd(x, full_matrices=False)[0]),
        lambda x: np.abs(np.linalg.svd(x, full_matrices=False)[0]),
        M,
        label="u",
        atol=1e-5,
    ),
    case(
        "eigh",
        _dec(ops.eigh, 0),
        lambda x: np.linalg.eigh(x)[0],
        SPD,
        label="values",
        rtol=1e-5,
        atol=1e-4,
    ),
    case(
        "eigh",
        lambda x: np.abs(ops.eigh(x)[1]),
        lambda x: np.abs(np.linalg.eigh(x)[1]),
        SPD,
        label="vectors",
        atol=1e-4,
    ),
    case(
        "eig",
        lambda x: np.sort_complex(ops.eig(x)[0]).real,
        lambda x: np.sort_complex(np.linalg.eig(x)[0]).real,
        SPD,
        label="values-real",
        rtol=1e-4,
        atol=1e-4,
    ),
    case(
        "eig",
        lambda x: np.abs(np.prod(ops.eig(x)[0], axis=-1)),
        lambda x: np.abs(np.linalg.det(x)),
        A,
        label="product",
        rtol=1e-4,
    ),
    case(
        "lu_factor",
        lambda x: ops.lu_factor(x)[1],
        lambda x: _lu_pivots(x),
        A,
        dtype="int32",
        label="pivots",
    ),
    case(
        "lu_factor",
        lambda x: _lu_rebuild(*ops.lu_factor(x)),
        lambda x: x,
        A,
        label="rebuild",
        atol=1e-5,
    ),
    case(
        "lstsq",
        ops.lstsq,
        lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
        M[0],
        M[1][:, :2],
        label="tall",
        rtol=1e-4,
        atol=1e-5,
    ),
    case(
        "lstsq",
        ops.lstsq,
        lambda a, b: np.linalg.solve(a, b),
        A[0],
        B[0],
        label="square",
        rtol=1e-4,
        atol=1e-4,
    ),
    case("pinv", ops.pinv, np.linalg.pinv, M, label="tall", rtol=1e-4, atol=1e-5),
    case("pinv", ops.pinv, np.linalg.pinv, A, label="square", rtol=1e-4, atol=1e-4),
    case(
        "matrix_rank",
        ops.matrix_rank,
        lambda x: np.linalg.matrix_rank(x).astype(np.int32),
        M,
        dtype="int32",
        label="full",
    ),
    case(
        "matrix_rank",
        ops.matrix_rank,
        lambda x: np.array(1, np.int32),
        np.outer(np.arange(1.0, 4.0), np.arange(1.0, 5.0)).astype(np.float32),
        dtype="int32",
        label="rank1",
    ),
    case(
        "norm",
        lambda x: ops.norm(x, 2, axis=(1, 2)),
        lambda x: np.linalg.norm(x, 2, (1, 2)),
        M,
        label="spectral",
        rtol=1e-5,
    ),
    case(
        "norm",
        lambda x: ops.norm(x, "nuc", axis=(1, 2)),
        lambda x: np.linalg.norm(x, "nuc", (1, 2)),
        M,
        label="nuclear",
        rtol=1e-5,
    ),
]


def _lu_pivots(x):
    out = []
    for m in x:
        m, piv = m.copy(), []
        for k in range(len(m)):
            p = k + int(np.argmax(np.abs(m[k:, k])))
            piv.append(p)
            m[[k, p]] = m[[p, k]]
            m[k + 1 :, k] /= m[k, k]
            m[k + 1 :, k + 1 :] -= np.outer(m[k + 1 :, k], m[k, k + 1 :])
        out.append(piv)
    return np.array(out, np.int32)


def _lu_rebuild(lu, piv):
    """P^T L U from scipy's packed form: the original matrices."""
    out = []
    for m, p in zip(lu, piv):
        n = len(m)
        rebuilt = (np.tril(m, -1) + np.eye(n)) @ np.triu(m)
        for k in reversed(range(n)):
            rebuilt[[k, p[k]]] = rebuilt[[p[k], k]]
        out.append(rebuilt)
    return np.array(out, np.float32)


CASES = MODEL_CASES + EAGER_CASES


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(MODEL_CASES))
def test_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(MODEL_CASES))
def test_onnx(c):
    check_onnx(c)


@pytest.mark.parametrize("name", ["qr", "svd", "eig", "eigh", "lu_factor", "pinv", "matrix_rank"])
def test_eager_only_ops_refuse_to_trace(name):
    with pytest.raises(ValueError, match=f"linalg.{name} runs eagerly only"):
        getattr(linalg, name)(kgraph.KerasTensor((3, 3), "float32"))
    with pytest.raises(ValueError, match="runs eagerly only"):
        ops.norm(kgraph.KerasTensor((3, 3), "float32"), "nuc")


def test_errors():
    with pytest.raises(ValueError, match="square"):
        ops.det(M)
    with pytest.raises(ValueError, match="ord"):
        ops.norm(M, "fro", axis=-1)
    with pytest.raises(ValueError, match="mode"):
        ops.qr(M, mode="full")


def _check_grad(fn, *inputs):
    def build(b, values):
        with trace.tracing(trace.Trace(b)):
            tensors = [
                KerasTensor(v.shape, np.dtype(v.dtype.numpy()).name, value=v) for v in values
            ]
            out = fn(*tensors)
        return [out._value]

    check_graph_vjp(build, list(inputs), wrt=tuple(range(len(inputs))), check=False)


F64 = np.float64


@pytest.mark.parametrize(
    "fn,inputs",
    [
        (ops.det, [ZERO_PIVOT.astype(F64)]),
        (ops.logdet, [SPD[:1].astype(F64)]),
        (ops.inv, [A[:1].astype(F64)]),
        (ops.inv, [ZERO_PIVOT.astype(F64)]),
        (ops.solve, [A[:2].astype(F64), B[:2].astype(F64)]),
        (
            lambda a, b: ops.solve_triangular(a, b, lower=True),
            [A[:1].astype(F64), B[:1].astype(F64)],
        ),
        (ops.cholesky, [SPD[:1].astype(F64)]),
        (ops.cholesky_inverse, [CHOL[:1].astype(F64)]),
        (lambda x: ops.norm(x, 1, axis=(1, 2)), [M.astype(F64)]),
        (lambda x: ops.norm(x, 3, axis=-1), [M.astype(F64)]),
    ],
    ids=[
        "det",
        "logdet",
        "inv",
        "inv-zero-pivot",
        "solve",
        "solve_triangular",
        "cholesky",
        "cholesky_inverse",
        "norm-1",
        "norm-3",
    ],
)
def test_gradients_match_finite_differences(fn, inputs):
    """Gradients of the traced compositions (and Det's rule) against float64 central differences."""
    _check_grad(fn, *inputs)
