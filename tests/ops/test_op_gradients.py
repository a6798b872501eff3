"""Gradients of the new ops' lowerings (compositions of ONNX nodes) against finite differences.

Each op is traced into a graph builder on a symbolic input (the same path as inside a model),
differentiated with ``compiler.autodiff`` and compared with central differences in float64
(``tests/harness_vjp.py``). Inputs keep away from kinks: distinct values for sorts, no zero
distances.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from kgraph import ops, trace
from kgraph.tensor import KerasTensor

if "harness_vjp" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "harness_vjp", Path(__file__).resolve().parents[1] / "harness_vjp.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["harness_vjp"] = _module
    _spec.loader.exec_module(_module)
from harness_vjp import check_graph_vjp

RNG = np.random.default_rng(21)


def _distinct(*shape):
    return RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.31 + 0.05


FLOAT32: set[str] = set()  # ops to check in float32 only (none since where keeps float64)


def _check(fn, *inputs, **options):
    def build(b, values):
        with trace.tracing(trace.Trace(b)):
            tensors = [
                KerasTensor(v.shape, np.dtype(v.dtype.numpy()).name, value=v) for v in values
            ]
            out = fn(*tensors)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return [t._value for t in outs if t.dtype.startswith("float")]

    check_graph_vjp(build, list(inputs), wrt=tuple(range(len(inputs))), check=False, **options)


UNARY = {
    "log1p": (ops.log1p, lambda: RNG.uniform(-0.5, 2.0, (2, 3))),
    "log1p_tiny": (ops.log1p, lambda: RNG.uniform(-1e-4, 1e-4, (2, 3))),
    "expm1": (ops.expm1, lambda: RNG.uniform(-2.0, 2.0, (2, 3))),
    "expm1_small": (ops.expm1, lambda: RNG.uniform(-0.4, 0.4, (2, 3))),
    "erfinv": (ops.erfinv, lambda: RNG.uniform(-0.9, 0.9, (2, 3))),
    "i0": (ops.i0, lambda: RNG.uniform(-6.0, 6.0, (2, 3))),
    "sinc": (ops.sinc, lambda: RNG.uniform(0.1, 2.0, (2, 3))),
    "cbrt": (ops.cbrt, lambda: RNG.uniform(0.5, 3.0, (2, 3)) * RNG.choice([-1, 1], (2, 3))),
    "var": (lambda x: ops.var(x, axis=1), lambda: RNG.standard_normal((3, 4))),
    "std": (lambda x: ops.std(x, axis=0, keepdims=True), lambda: RNG.standard_normal((3, 4))),
    "logsumexp": (lambda x: ops.logsumexp(x, axis=-1), lambda: RNG.standard_normal((3, 4))),
    "cumsum": (lambda x: ops.cumsum(x, axis=1), lambda: RNG.standard_normal((3, 4))),
    "cumprod": (lambda x: ops.cumprod(x, axis=1), lambda: RNG.uniform(0.5, 1.5, (2, 5))),
    "cumprod_zero": (
        lambda x: ops.cumprod(x, axis=0),
        lambda: np.array([[1.5, 0.0], [2.0, -1.0], [0.5, 3.0]]),
    ),
    "sort": (lambda x: ops.sort(x, axis=-1), lambda: _distinct(3, 4)),
    "top_k": (lambda x: ops.top_k(x, 2)[0], lambda: _distinct(3, 4)),
    "quantile": (lambda x: ops.quantile(x, [0.3, 0.5], axis=1), lambda: _distinct(3, 5)),
    "median": (lambda x: ops.median(x), lambda: _distinct(3, 4)),
    "nanquantile": (lambda x: ops.nanquantile(x, 0.4, axis=1), lambda: _distinct(3, 5)),
    "tile": (lambda x: ops.tile(x, (2, 3)), lambda: RNG.standard_normal((2, 3))),
    "flip": (lambda x: ops.flip(x, 1), lambda: RNG.standard_normal((2, 3))),
    "roll": (lambda x: ops.roll(x, 2, axis=1), lambda: RNG.standard_normal((2, 5))),
    "tril": (lambda x: ops.tril(x, -1), lambda: RNG.standard_normal((3, 3))),
    "diagonal": (lambda x: ops.diagonal(x, 1), lambda: RNG.standard_normal((3, 4))),
    "diag": (lambda x: ops.diag(x, -1), lambda: RNG.standard_normal(3)),
    "trace": (ops.trace, lambda: RNG.standard_normal((3, 3))),
    "kron": (
        lambda x: ops.kron(x, np.arange(4.0).reshape(2, 2)),
        lambda: RNG.standard_normal((2, 3)),
    ),
    "diff": (lambda x: ops.diff(x, 2), lambda: RNG.standard_normal((2, 5))),
    "trapezoid": (lambda x: ops.trapezoid(x, dx=0.5), lambda: RNG.standard_normal((2, 5))),
    "average": (
        lambda x: ops.average(x, 1, np.array([1.0, 2.0, 3.0])),
        lambda: RNG.standard_normal((2, 3)),
    ),
    "nanvar": (lambda x: ops.nanvar(x, axis=1), lambda: RNG.standard_normal((2, 4))),
    "slice_update": (
        lambda x: ops.slice_update(x, (1, 1), np.ones((1, 2))),
        lambda: RNG.standard_normal((3, 3)),
    ),
    "segment_max": (lambda x: ops.segment_max(x, np.array([0, 0, 1, 1]), 2), lambda: _distinct(4)),
    "scatter": (
        lambda x: ops.scatter(np.array([[1], [1], [0]]), x, (3, 2)),
        lambda: RNG.standard_normal((3, 2)),
    ),
    "take_along_axis": (
        lambda x: ops.take_along_axis(x, np.array([[2, 0, 0]]), 1),
        lambda: RNG.standard_normal((2, 3)),
    ),
    "rfft": (lambda x: ops.rfft(x, 6), lambda: RNG.standard_normal((2, 5))),
    "stft": (lambda x: ops.stft(x, 6, 2, 8), lambda: RNG.standard_normal((1, 16))),
    "istft": (lambda x: ops.istft((x, x * 0.5), 6, 2, 8), lambda: RNG.standard_normal((1, 4, 5))),
    "pad_split": (lambda x: ops.array_split(x, 3, axis=1)[1], lambda: RNG.standard_normal((2, 5))),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    fn, make = UNARY[name]
    _check(fn, make(), **({"dtype": "float32"} if name in FLOAT32 else {}))


BINARY = {
    "arctan2": (
        ops.arctan2,
        lambda: (
            RNG.standard_normal((2, 3)),
            RNG.uniform(0.3, 1, (2, 3)) * RNG.choice([-1, 1], (2, 3)),
        ),
    ),
    "hypot": (ops.hypot, lambda: (RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)))),
    "logaddexp": (ops.logaddexp, lambda: (RNG.standard_normal((2, 3)), RNG.standard_normal(3))),
    "logaddexp2": (
        ops.logaddexp2,
        lambda: (RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))),
    ),
    "mod": (
        ops.mod,
        lambda: (RNG.uniform(0.1, 0.9, (2, 3)) + np.arange(3), np.array([1.3, -1.7, 2.3])),
    ),
    "tensordot": (
        lambda a, c: ops.tensordot(a, c, 1),
        lambda: (RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))),
    ),
    "cross": (ops.cross, lambda: (RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3)))),
    "outer": (ops.outer, lambda: (RNG.standard_normal(3), RNG.standard_normal(2))),
    "outer_2d": (ops.outer, lambda: (RNG.standard_normal((1, 3)), RNG.standard_normal((2, 1)))),
    "correlate": (
        lambda a, c: ops.correlate(a, c, "full"),
        lambda: (RNG.standard_normal(4), RNG.standard_normal(3)),
    ),
    "fft2": (
        lambda a, c: ops.fft2((a, c)),
        lambda: (RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))),
    ),
    "irfft": (
        lambda a, c: ops.irfft((a, c), 5),
        lambda: (RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))),
    ),
    "cdist": (ops.cdist, lambda: (RNG.standard_normal((3, 2)), RNG.standard_normal((2, 2)) + 3.0)),
    "scatter_update": (
        lambda a, u: ops.scatter_update(a, np.array([[0, 1], [2, 0]]), u),
        lambda: (RNG.standard_normal((3, 2)), RNG.standard_normal(2)),
    ),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name):
    fn, make = BINARY[name]
    _check(fn, *make())
