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


def _window_lower(b, *, kind, m, beta):
    n = b.op(
        "Range",
        [scalar(b, 0.0, "float64"), scalar(b, float(m), "float64"), scalar(b, 1.0, "float64")],
    )
    if m <= 1:  # numpy: [] for 0, [1.0] for 1
        return cast(
            b,
            b.op("Add", [b.op("Mul", [n, scalar(b, 0.0, "float64")]), scalar(b, 1.0, "float64")]),
            "float32",
        )
    phase = b.op("Mul", [n, scalar(b, 2.0 * math.pi / (m - 1), "float64")])
    if kind == "bartlett":
        centered = b.op(
            "Abs",
            [
                b.op(
                    "Sub",
                    [
                        b.op("Mul", [n, scalar(b, 2.0 / (m - 1), "float64")]),
                        scalar(b, 1.0, "float64"),
                    ],
                )
            ],
        )
        out = b.op("Sub", [scalar(b, 1.0, "float64"), centered])
    elif kind == "kaiser":
        ratio = b.op(
            "Sub",
            [b.op("Mul", [n, scalar(b, 2.0 / (m - 1), "float64")]), scalar(b, 1.0, "float64")],
        )
        arg = b.op(
            "Mul",
            [
                b.op(
                    "Sqrt", [b.op("Sub", [scalar(b, 1.0, "float64"), b.op("Mul", [ratio, ratio])])]
                ),
                scalar(b, float(beta), "float64"),
            ],
        )
        out = b.op(
            "Div",
            [
                i0_lower(b, arg, "float64"),
                i0_lower(b, scalar(b, float(beta), "float64"), "float64"),
            ],
        )
    else:
        a0, a1, a2 = {
            "hamming": (0.54, 0.46, 0.0),
            "hanning": (0.5, 0.5, 0.0),
            "blackman": (0.42, 0.5, 0.08),
        }[kind]
        out = b.op(
            "Sub",
            [
                scalar(b, a0, "float64"),
                b.op("Mul", [b.op("Cos", [phase]), scalar(b, a1, "float64")]),
            ],
        )
        if a2:
            twice = b.op("Mul", [phase, scalar(b, 2.0, "float64")])
            out = b.op("Add", [out, b.op("Mul", [b.op("Cos", [twice]), scalar(b, a2, "float64")])])
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
