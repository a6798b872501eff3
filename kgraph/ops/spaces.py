"""More creation ops: empty/empty_like, logspace/geomspace and the window functions (bartlett,
blackman, hamming, hanning, kaiser).

Windows are computed in the graph from ``Range`` (float64, then cast to floatx as in Keras),
so they are ONNX lowerings like ``linspace``; ``kaiser`` reuses ``i0``'s polynomials.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import dtypes
from kgraph.ops.core import Op, Spec, apply
from kgraph.ops.creation import linspace, zeros, zeros_like
from kgraph.ops.lowering import cast, scalar
from kgraph.ops.math_ops import i0_lower
from kgraph.ops.numpy import exp, multiply, power


def empty(shape, dtype=None):
    """A tensor of ``shape`` (zeros: ONNX has no uninitialized memory)."""
    return zeros(shape, dtype)


def empty_like(x, dtype=None):
    """A tensor shaped like ``x`` (zeros: ONNX has no uninitialized memory)."""
    return zeros_like(x, dtype)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    exponents = linspace(start, stop, num, endpoint, dtype="float32", axis=axis)
    out = power(np.float32(base), exponents)
    return out if dtype is None else _cast(out, dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values from ``start`` to ``stop`` evenly spaced on a log scale (same signs)."""
    start, stop = float(start), float(stop)
    if start == 0 or stop == 0 or (start < 0) != (stop < 0):
        raise ValueError(
            f"geomspace needs nonzero bounds of one sign. Received: start={start}, stop={stop}"
        )
    sign = -1.0 if start < 0 else 1.0
    steps = linspace(math.log(abs(start)), math.log(abs(stop)), num, endpoint, dtype="float32")
    out = multiply(exp(steps), sign)
    return out if dtype is None else _cast(out, dtype)


def _cast(x, dtype):
    from kgraph.ops.numpy import cast as cast_op

    return cast_op(x, dtype)


_COSINE_TERMS = {
    "hamming": (0.54, 0.46, 0.0),
    "hanning": (0.5, 0.5, 0.0),
    "blackman": (0.42, 0.5, 0.08),
}


def _window_lower(b, *, kind, m, beta):
    def c(v):
        return scalar(b, float(v), "float64")

    n = b.op("Range", [c(0), c(m), c(1)])
    if m <= 1:  # numpy: [] for 0, [1.0] for 1
        return cast(b, b.op("Add", [b.op("Mul", [n, c(0)]), c(1)]), dtypes.FLOATX)
    ratio = b.op("Sub", [b.op("Mul", [n, c(2.0 / (m - 1))]), c(1)])  # -1 .. 1
    if kind == "bartlett":
        out = b.op("Sub", [c(1), b.op("Abs", [ratio])])
    elif kind == "kaiser":
        root = b.op("Sqrt", [b.op("Sub", [c(1), b.op("Mul", [ratio, ratio])])])
        scaled = i0_lower(b, b.op("Mul", [root, c(beta)]), "float64")
        out = b.op("Div", [scaled, i0_lower(b, c(beta), "float64")])
    else:
        a0, a1, a2 = _COSINE_TERMS[kind]
        phase = b.op("Mul", [n, c(2.0 * math.pi / (m - 1))])
        out = b.op("Sub", [c(a0), b.op("Mul", [b.op("Cos", [phase]), c(a1)])])
        if a2:
            twice = b.op("Cos", [b.op("Mul", [phase, c(2)])])
            out = b.op("Add", [out, b.op("Mul", [twice, c(a2)])])
    return cast(b, out, dtypes.FLOATX)


_window = Op(
    "window", lambda *, kind, m, beta: Spec((m,), dtypes.FLOATX), _window_lower, promote=False
)


def _window_fn(kind, doc):
    def fn(x):
        m = int(x)
        if m < 0:
            raise ValueError(f"{kind} needs a non-negative window length. Received: x={x}")
        return apply(_window, [], kind=kind, m=m, beta=0.0)

    fn.__name__, fn.__doc__ = kind, doc
    return fn


bartlett = _window_fn("bartlett", "The Bartlett (triangular) window of length ``x``.")
blackman = _window_fn("blackman", "The Blackman window of length ``x``.")
hamming = _window_fn("hamming", "The Hamming window of length ``x``.")
hanning = _window_fn("hanning", "The Hann window of length ``x``.")


def kaiser(x, beta):
    """The Kaiser window of length ``x`` with shape parameter ``beta``."""
    m = int(x)
    if m < 0:
        raise ValueError(f"kaiser needs a non-negative window length. Received: x={x}")
    return apply(_window, [], kind="kaiser", m=m, beta=float(beta))
