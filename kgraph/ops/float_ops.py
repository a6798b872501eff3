"""``nextafter``: the neighbouring representable float, without bit casts.

ONNX has no bit cast here, so the spacing of floats around ``x1`` is computed from its binary
exponent: ``e = floor(log2 |x1|)`` (corrected by one where the logarithm rounds across a power
of two, and clamped at the subnormal range), one step away from zero is ``2 ** (e - mantissa
bits)`` and one step toward zero is half that at an exact power of two. Adding an exactly
representable step gives the neighbour exactly. Powers are formed in float64.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, _promote, _spec_of, apply
from kgraph.ops.math_ops import dtype_of, to_float
from kgraph.ops.numpy import cast

_FORMATS = {"float16": (10, -14), "float32": (23, -126), "float64": (52, -1022)}


def _steps(b, a, dtype):
    """One step away from zero and one toward zero from the magnitude ``|a|`` (as float64)."""
    mantissa, lowest = _FORMATS[dtype]
    c = lambda v: b.constant(np.asarray(v, np.float64))
    mag = b.op("Cast", [b.op("Abs", [a])], {"to": 11})
    tiny = b.op("Max", [mag, c(2.0**lowest)])
    e = b.op("Floor", [b.op("Div", [b.op("Log", [tiny]), c(np.log(2.0))])])
    p = b.op("Pow", [c(2.0), e])
    e = b.op("Where", [b.op("Greater", [p, tiny]), b.op("Sub", [e, c(1.0)]), e])
    p = b.op("Pow", [c(2.0), e])
    e = b.op(
        "Where",
        [b.op("LessOrEqual", [b.op("Mul", [p, c(2.0)]), tiny]), b.op("Add", [e, c(1.0)]), e],
    )
    e = b.op("Max", [e, c(float(lowest))])
    up = b.op("Pow", [c(2.0), b.op("Sub", [e, c(float(mantissa))])])
    at_power = b.op(
        "And",
        [b.op("Equal", [mag, b.op("Pow", [c(2.0), e])]), b.op("Greater", [e, c(float(lowest))])],
    )
    down = b.op("Where", [at_power, b.op("Mul", [up, c(0.5)]), up])
    to = b.op("Cast", [up], {"to": a.dtype}), b.op("Cast", [down], {"to": a.dtype})
    return to


def _nextafter_lower(b, a, t):
    dtype = dtype_of(a)
    away, toward = _steps(b, a, dtype)
    zero = b.constant(np.asarray(0.0, dtype))
    rising, positive = b.op("Greater", [t, a]), b.op("Greater", [a, zero])
    up = b.op("Add", [a, b.op("Where", [b.op("Less", [a, zero]), toward, away])])
    down = b.op("Sub", [a, b.op("Where", [positive, toward, away])])
    out = b.op("Where", [rising, up, down])
    smallest = b.constant(np.asarray(2.0 ** (_FORMATS[dtype][1] - _FORMATS[dtype][0]), dtype))
    from_zero = b.op("Where", [rising, smallest, b.op("Neg", [smallest])])
    out = b.op("Where", [b.op("Equal", [a, zero]), from_zero, out])
    top = b.constant(np.asarray(np.finfo(dtype).max, dtype))
    inward = b.op("Where", [b.op("Greater", [a, zero]), top, b.op("Neg", [top])])
    out = b.op("Where", [b.op("IsInf", [a]), inward, out])
    out = b.op("Where", [b.op("Equal", [a, t]), t, out])
    nan = b.op("Or", [b.op("IsNaN", [a]), b.op("IsNaN", [t])])
    return b.op("Where", [nan, b.op("Add", [a, t]), out])


_nextafter = Op(
    "nextafter",
    lambda a, t: Spec(shapes.broadcast(a.shape, t.shape), a.dtype),
    _nextafter_lower,
)


def nextafter(x1, x2):
    """The next representable float after ``x1`` in the direction of ``x2``, element-wise."""
    dtype = _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype
    if not dtype.startswith("float"):
        x1, x2 = to_float(x1), to_float(x2)
    elif dtype not in _FORMATS:
        x1, x2 = cast(x1, "float32"), cast(x2, "float32")
    return apply(_nextafter, [x1, x2])
