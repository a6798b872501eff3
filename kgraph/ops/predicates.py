"""Float predicates (isnan, isinf, isfinite, isposinf, isneginf, signbit) and the real-number
forms of Keras' complex helpers (real, imag, conj, isreal, angle, copy).

Integer inputs are never NaN or infinite: the predicates give constant tensors for them, as
Keras does. kgraph has no complex dtypes, so ``real``/``conj`` are copies and ``imag`` zeros.
"""

from __future__ import annotations

import math

from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.math_ops import bool_like, const, float_dtype, float_unary, node, to_float

# -- predicates -------------------------------------------------------------------------------


def _predicate(name: str, lower, doc: str):
    op = Op(name, lambda x: Spec(x.shape, "bool"), lower, promote=False)

    def fn(x):
        if float_dtype(x) is None:
            return bool_like(x, name == "isfinite")  # integers are never NaN or inf
        return apply(op, [to_float(x)])

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def _isfinite_lower(b, x):
    return b.op("Not", [b.op("Or", [b.op("IsNaN", [x]), b.op("IsInf", [x])])])


isnan = _predicate("isnan", node("IsNaN"), "True where ``x`` is NaN.")
isinf = _predicate("isinf", node("IsInf"), "True where ``x`` is +inf or -inf.")
isfinite = _predicate("isfinite", _isfinite_lower, "True where ``x`` is neither inf nor NaN.")
isposinf = _predicate(
    "isposinf", lambda b, x: b.op("IsInf", [x], {"detect_negative": 0}), "True at +inf."
)
isneginf = _predicate(
    "isneginf", lambda b, x: b.op("IsInf", [x], {"detect_positive": 0}), "True at -inf."
)


def _signbit_lower(b, x):
    # -0.0 has its sign bit set: 1 / -0.0 is -inf.
    negative = b.op("Less", [x, const(b, 0.0, x)])
    zero = b.op("Equal", [x, const(b, 0.0, x)])
    negative_zero = b.op("And", [zero, b.op("Less", [b.op("Reciprocal", [x]), const(b, 0.0, x)])])
    return b.op("Or", [negative, negative_zero])


_signbit = Op("signbit", lambda x: Spec(x.shape, "bool"), _signbit_lower, promote=False)


def signbit(x):
    """True where the sign bit of ``x`` is set (negative numbers and -0.0)."""
    if float_dtype(x) is not None:
        return apply(_signbit, [to_float(x)])
    if _spec_of(x).dtype == "bool":
        return bool_like(x, False)
    from kgraph.ops.numpy import less

    return less(x, 0)


# -- real-number views of complex helpers ------------------------------------------------------

_copy = Op("copy", lambda x: x, lambda b, x: b.op("Identity", [x]), promote=False)


def copy(x):
    """A copy of ``x`` (ONNX ``Identity``)."""
    return apply(_copy, [x])


def real(x):
    """The real part: ``x`` itself (kgraph has no complex dtypes)."""
    return copy(x)


def conjugate(x):
    """The complex conjugate: ``x`` itself (kgraph has no complex dtypes)."""
    return copy(x)


conj = conjugate


def imag(x):
    """The imaginary part: zeros of ``x``'s dtype (kgraph has no complex dtypes)."""
    from kgraph.ops.creation import zeros_like

    return zeros_like(x)


def isreal(x):
    """True everywhere: kgraph tensors are real."""
    return bool_like(x, True)


def _angle_lower(b, x):
    negative = b.op("Less", [x, const(b, 0.0, x)])
    out = b.op("Where", [negative, const(b, math.pi, x), const(b, 0.0, x)])
    return b.op("Where", [b.op("IsNaN", [x]), x, out])


angle = float_unary("angle", _angle_lower, "The argument of a real number: pi where x < 0.")
