"""Element-wise unary math: trigonometric and hyperbolic functions, log1p/expm1 and friends,
rounding, and the float predicates (isnan, isinf, isfinite, signbit).

Functions ONNX has (Tan, Asin, Sinh, ...) lower to one node. The others are short compositions
chosen for accuracy in float32: ``log1p``/``expm1`` use the classic correction ``log(u) * x /
(u - 1)`` (a plain ``log(1 + x)`` loses every digit for small ``x``), with the divisor made safe
where it is zero, so that the unused branch of ``Where`` carries no NaN into the gradient.
Integer inputs of float functions are cast to floatx, as in Keras.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import dtypes
from kgraph.ops.core import Op, _spec_of, apply
from kgraph.ops.creation import full_like
from kgraph.ops.lowering import cast as cast_node
from kgraph.ops.lowering import scalar
from kgraph.ops.numpy import cast


def dtype_of(v) -> str:
    """The numpy dtype name of an IR value (every op input carries its type)."""
    return np.dtype(v.dtype.numpy()).name


def const(b, value, like):
    """A scalar constant of dtype ``like``: a dtype name, or an op input's IR value (inner
    values of a lowering carry no type yet, so pass the input or its dtype)."""
    return scalar(b, value, like if isinstance(like, str) else dtype_of(like))


def safe(b, x, bad, like, fill=1.0):
    """``x`` with ``fill`` where the bool ``bad`` holds (keeps a Where's unused branch finite)."""
    return b.op("Where", [bad, const(b, fill, like), x])


def bool_like(x, value: bool):
    """A bool tensor shaped like ``x``, all ``value``."""
    return full_like(x, bool(value), "bool")


def float_dtype(x) -> str | None:
    """The float dtype ``x`` has (floatx for a Python float), None for ints and bools."""
    dtype = _spec_of(x).dtype
    if dtype == "weak":
        return dtypes.FLOATX if isinstance(x, float) else None
    return dtype if dtype.startswith("float") else None


def to_float(x):
    """``x`` cast to floatx unless it is already a float tensor."""
    if not _spec_of(x).dtype.startswith("float"):
        return cast(x, dtypes.FLOATX)
    return x


def float_unary(name: str, lower, doc: str):
    """A unary op lowered by ``lower(b, x)``; non-float inputs are cast to floatx first."""
    op = Op(name, lambda x: x, lower, promote=False)

    def fn(x):
        return apply(op, [to_float(x)])

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def node(onnx_op):
    """A lowering that emits the one-input ONNX op ``onnx_op``."""
    return lambda b, x: b.op(onnx_op, [x])


def _mul_const(value):
    return lambda b, x: b.op("Mul", [x, const(b, value, x)])


tan = float_unary("tan", node("Tan"), "Element-wise tangent (ONNX ``Tan``).")
arcsin = float_unary("arcsin", node("Asin"), "Element-wise inverse sine (ONNX ``Asin``).")
arccos = float_unary("arccos", node("Acos"), "Element-wise inverse cosine (ONNX ``Acos``).")
arctan = float_unary("arctan", node("Atan"), "Element-wise inverse tangent (ONNX ``Atan``).")
sinh = float_unary("sinh", node("Sinh"), "Element-wise hyperbolic sine (ONNX ``Sinh``).")
cosh = float_unary("cosh", node("Cosh"), "Element-wise hyperbolic cosine (ONNX ``Cosh``).")
arcsinh = float_unary("arcsinh", node("Asinh"), "Inverse hyperbolic sine (ONNX ``Asinh``).")
arccosh = float_unary("arccosh", node("Acosh"), "Inverse hyperbolic cosine (ONNX ``Acosh``).")
arctanh = float_unary("arctanh", node("Atanh"), "Inverse hyperbolic tangent (ONNX ``Atanh``).")
deg2rad = float_unary("deg2rad", _mul_const(math.pi / 180), "Degrees to radians.")
rad2deg = float_unary("rad2deg", _mul_const(180 / math.pi), "Radians to degrees.")
fabs = float_unary("fabs", node("Abs"), "Absolute value as a float tensor.")


def absolute(x):
    """Element-wise absolute value (as ``abs``)."""
    from kgraph.ops.numpy import abs as abs_

    return abs_(x)


def _log1p_lower(b, x):
    u = b.op("Add", [x, const(b, 1.0, x)])
    d = b.op("Sub", [u, const(b, 1.0, x)])
    exact = b.op("Equal", [d, const(b, 0.0, x)])
    corrected = b.op("Mul", [b.op("Log", [u]), b.op("Div", [x, safe(b, d, exact, x)])])
    big = b.op("IsInf", [u], {"detect_negative": 0})  # log(inf) * inf / inf would be NaN
    return b.op("Where", [exact, x, b.op("Where", [big, u, corrected])])


log1p = float_unary("log1p", _log1p_lower, "``log(1 + x)``, accurate for small ``x``.")


def _expm1_lower(b, x):
    u = b.op("Exp", [x])
    one = const(b, 1.0, x)
    exact = b.op("Equal", [u, one])
    large = b.op("Greater", [b.op("Abs", [x]), const(b, 0.5, x)])
    um1 = b.op("Sub", [u, one])
    log_u = safe(b, b.op("Log", [u]), exact, x)
    corrected = b.op("Div", [b.op("Mul", [um1, x]), log_u])
    return b.op("Where", [exact, x, b.op("Where", [large, um1, corrected])])


expm1 = float_unary("expm1", _expm1_lower, "``exp(x) - 1``, accurate for small ``x``.")


def _log_base(base):
    return lambda b, x: b.op("Mul", [b.op("Log", [x]), const(b, 1 / math.log(base), x)])


log2 = float_unary("log2", _log_base(2), "Base-2 logarithm.")
log10 = float_unary("log10", _log_base(10), "Base-10 logarithm.")
exp2 = float_unary("exp2", lambda b, x: b.op("Exp", [_mul_const(math.log(2))(b, x)]), "2 ** x.")
rsqrt = float_unary(
    "rsqrt", lambda b, x: b.op("Reciprocal", [b.op("Sqrt", [x])]), "``1 / sqrt(x)``."
)


def _cbrt_lower(b, x):
    root = b.op("Pow", [b.op("Abs", [x]), const(b, 1.0 / 3.0, x)])
    return b.op("Mul", [b.op("Sign", [x]), root])


cbrt = float_unary("cbrt", _cbrt_lower, "Real cube root (negative for negative ``x``).")


def _sinc_lower(b, x):
    zero = b.op("Equal", [x, const(b, 0.0, x)])
    px = b.op("Mul", [safe(b, x, zero, x), const(b, math.pi, x)])
    return b.op("Where", [zero, const(b, 1.0, x), b.op("Div", [b.op("Sin", [px]), px])])


sinc = float_unary("sinc", _sinc_lower, "Normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0).")


def _erfc_lower(b, x):
    return b.op("Sub", [const(b, 1.0, x), b.op("Erf", [x])])


erfc = float_unary("erfc", _erfc_lower, "``1 - erf(x)`` (loses precision where erf is near 1).")

# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011): single precision.
_ERFINV_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                   0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                   1.50140941)  # fmt: skip
_ERFINV_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)  # fmt: skip


def _horner(b, w, coefficients, dtype):
    p = const(b, coefficients[0], dtype)
    for c in coefficients[1:]:
        p = b.op("Add", [b.op("Mul", [p, w]), const(b, c, dtype)])
    return p


def _erfinv_lower(b, x):
    one = const(b, 1.0, x)
    w = b.op("Neg", [b.op("Log", [b.op("Mul", [b.op("Sub", [one, x]), b.op("Add", [one, x])])])])
    central = b.op("Less", [w, const(b, 5.0, x)])
    w_central = b.op("Sub", [b.op("Where", [central, w, const(b, 2.5, x)]), const(b, 2.5, x)])
    root = b.op("Sqrt", [b.op("Where", [central, const(b, 9.0, x), w])])
    w_tail = b.op("Sub", [root, const(b, 3.0, x)])
    p = b.op(
        "Where",
        [central, _horner(b, w_central, _ERFINV_CENTRAL, x), _horner(b, w_tail, _ERFINV_TAIL, x)],
    )
    edge = b.op("Equal", [b.op("Abs", [x]), one])  # the polynomial's tail misses +-inf there
    positive = b.op("Greater", [x, const(b, 0.0, x)])
    inf = b.op("Where", [positive, const(b, math.inf, x), const(b, -math.inf, x)])  # no x: no
    return b.op("Where", [edge, inf, b.op("Mul", [p, x])])  # inf * 0 in the gradient


erfinv = float_unary(
    "erfinv", _erfinv_lower, "Inverse error function (Giles' single-precision polynomials)."
)

# Abramowitz & Stegun 9.8.1 and 9.8.2 (relative error below 2e-7).
_I0_SMALL = (0.0045813, 0.0360768, 0.2659732, 1.2067492, 3.0899424, 3.5156229, 1.0)
_I0_LARGE = (0.00392377, -0.01647633, 0.02635537, -0.02057706, 0.00916281, -0.00157565,
             0.00225319, 0.01328592, 0.39894228)  # fmt: skip


def i0_lower(b, x, dtype=None):
    """Emits ``i0(x)``; ``dtype`` is needed when ``x`` is an inner value (no type yet)."""
    dtype = dtype or dtype_of(x)
    a = b.op("Abs", [x])
    small = b.op("Less", [a, const(b, 3.75, dtype)])
    t = b.op("Div", [a, const(b, 3.75, dtype)])
    near = _horner(b, b.op("Mul", [t, t]), _I0_SMALL, dtype)
    t_far = b.op("Where", [small, const(b, 1.0, dtype), t])
    a_far = b.op("Where", [small, const(b, 3.75, dtype), a])
    scale = b.op("Div", [b.op("Exp", [a_far]), b.op("Sqrt", [a_far])])
    far = b.op("Mul", [_horner(b, b.op("Reciprocal", [t_far]), _I0_LARGE, dtype), scale])
    return b.op("Where", [small, near, far])


i0 = float_unary("i0", i0_lower, "Modified Bessel function of the first kind, order 0.")


# -- rounding -------------------------------------------------------------------------------


def _as_tensor(x):
    """``x`` itself, or a Python int as an int32 tensor (Keras' dtype for it)."""
    from kgraph.ops.numpy import convert_to_tensor

    return convert_to_tensor(x) if _spec_of(x).dtype == "weak" else x


def _trunc_lower(b, x):
    negative = b.op("Less", [x, const(b, 0.0, x)])
    return b.op("Where", [negative, b.op("Ceil", [x]), b.op("Floor", [x])])


_trunc = Op("trunc", lambda x: x, _trunc_lower, promote=False)


def trunc(x):
    """Rounds toward zero; integer tensors are returned unchanged (as in Keras)."""
    if float_dtype(x) is None:
        return _as_tensor(x)
    return apply(_trunc, [to_float(x)])


def _round_lower(b, x, *, decimals):
    is_float = dtype_of(x).startswith("float")
    work = x if is_float else cast_node(b, x, "float64")
    if decimals:
        scale = const(b, 10.0**decimals, dtype_of(x) if is_float else "float64")
        out = b.op("Div", [b.op("Round", [b.op("Mul", [work, scale])]), scale])
    else:
        out = b.op("Round", [work])
    return out if work is x else cast_node(b, out, dtype_of(x))


_round = Op("round", lambda x, *, decimals: x, _round_lower, promote=False)


def round(x, decimals=0):  # noqa: A001
    """Rounds half to even to ``decimals`` places (ONNX ``Round``); keeps the dtype."""
    if _spec_of(x).dtype == "bool":
        raise ValueError("`round` takes numbers, not bools. Received: x.dtype=bool")
    if float_dtype(x) is None and int(decimals) >= 0:
        return _as_tensor(x)
    if float_dtype(x) is not None:
        x = to_float(x)
    return apply(_round, [x], decimals=int(decimals))
