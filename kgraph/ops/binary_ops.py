"""Element-wise binary math: arctan2, hypot, numpy's mod and floor division, logaddexp,
logical and bitwise ops, isclose and nan_to_num.

Operands are promoted to a common dtype first (``core.apply``), as Keras does. Where ONNX has
no node (numpy's float ``mod``, integer floor division, shifts of signed integers) the
lowering composes one from ``Mod``/``Div``/``Where``. Divisors are made safe where they are zero
so that the branch ``Where`` drops carries no NaN into the gradient.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import dtypes
from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, _promote, _spec_of, apply
from kgraph.ops.math_ops import const, dtype_of, float_dtype, safe, to_float
from kgraph.ops.numpy import cast


def _common(x1, x2) -> str:
    return _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype


def broadcast_spec(a: Spec, b: Spec, out_dtype=None) -> Spec:
    """The broadcast shape of two specs, with ``a``'s dtype unless ``out_dtype``."""
    return Spec(shapes.broadcast(a.shape, b.shape), out_dtype or a.dtype)


def binary(
    name: str,
    lower,
    doc: str,
    *,
    to_float=False,
    boolean=False,
    to_bool=False,
    bool_int=False,
    strong=False,
):
    """A binary op; ``to_float``: int operands go to floatx; ``boolean``: the output is bool;
    ``to_bool``: the operands are cast to bool first (logical ops); ``bool_int``: two bools are
    computed as int32 (ONNX's arithmetic takes no bools); ``strong``: a Python float is a
    floatx tensor, not a weak scalar (Keras converts both operands of these ops first)."""
    infer = (lambda a, b: broadcast_spec(a, b, "bool")) if boolean else broadcast_spec
    op = Op(name, infer, lower, promote=not to_bool)

    def fn(x1, x2):
        if strong:
            x1, x2 = (np.asarray(v, dtypes.FLOATX) if isinstance(v, float) else v for v in (x1, x2))
        if to_bool:
            x1, x2 = cast(x1, "bool"), cast(x2, "bool")
        elif to_float and not _common(x1, x2).startswith("float"):
            x1, x2 = cast(x1, dtypes.FLOATX), cast(x2, dtypes.FLOATX)
        elif bool_int and _common(x1, x2) == "bool":
            x1, x2 = cast(x1, "int32"), cast(x2, "int32")
        return apply(op, [x1, x2])

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def _is_float(v) -> bool:
    return dtype_of(v).startswith("float")


# -- arithmetic -------------------------------------------------------------------------------


def _arctan2_lower(b, y, x):
    zero, pi = const(b, 0.0, x), const(b, math.pi, x)
    x_zero = b.op("Equal", [x, zero])
    base = b.op("Atan", [b.op("Div", [y, safe(b, x, x_zero, x)])])
    y_nonneg = b.op("GreaterOrEqual", [y, zero])
    left = b.op("Where", [y_nonneg, b.op("Add", [base, pi]), b.op("Sub", [base, pi])])
    half = const(b, math.pi / 2, x)
    on_axis = b.op(
        "Where",
        [
            b.op("Greater", [y, zero]),
            half,
            b.op("Where", [b.op("Less", [y, zero]), b.op("Neg", [half]), zero]),
        ],
    )
    return b.op("Where", [x_zero, on_axis, b.op("Where", [b.op("Greater", [x, zero]), base, left])])


arctan2 = binary(
    "arctan2",
    _arctan2_lower,
    "Angle of the point ``(x2, x1)``, in (-pi, pi].",
    to_float=True,
    strong=True,
)


def _hypot_lower(b, x, y):
    return b.op("Sqrt", [b.op("Add", [b.op("Mul", [x, x]), b.op("Mul", [y, y])])])


hypot = binary("hypot", _hypot_lower, "``sqrt(x1**2 + x2**2)``.", to_float=True)


def int_mod(b, x, y):
    """Python/numpy integer modulo (sign of the divisor); 0 where the divisor is 0."""
    zero = b.op("Equal", [y, const(b, 0, x)])
    r = b.op("Mod", [x, safe(b, y, zero, x)], {"fmod": 0})
    return b.op("Where", [zero, const(b, 0, x), r])


def _mod_lower(b, x, y):
    if not _is_float(x):
        return int_mod(b, x, y)
    r = b.op("Mod", [x, y], {"fmod": 1})
    zero = const(b, 0.0, x)
    differ = b.op("Xor", [b.op("Less", [r, zero]), b.op("Less", [y, zero])])
    fix = b.op("And", [differ, b.op("Not", [b.op("Equal", [r, zero])])])
    return b.op("Where", [fix, b.op("Add", [r, y]), r])


mod = binary(
    "mod", _mod_lower, "Remainder with the sign of the divisor (numpy's ``mod``).", bool_int=True
)


def _fmod_lower(b, x, y):
    if _is_float(x):
        return b.op("Mod", [x, y], {"fmod": 1})
    zero = b.op("Equal", [y, const(b, 0, y)])
    r = b.op("Mod", [x, safe(b, y, zero, y)], {"fmod": 1})
    return b.op("Where", [zero, const(b, 0, y), r])


fmod = binary(
    "fmod", _fmod_lower, "Remainder with the sign of the dividend (C's ``fmod``).", bool_int=True
)


def _floor_divide_lower(b, x, y):
    if _is_float(x):  # numpy's divmod: an infinite dividend gives NaN
        out = b.op("Floor", [b.op("Div", [x, y])])
        return b.op("Where", [b.op("IsInf", [x]), const(b, math.nan, x), out])
    zero = b.op("Equal", [y, const(b, 0, y)])
    exact = b.op("Sub", [x, int_mod(b, x, y)])  # a multiple of y: Div is exact
    return b.op("Where", [zero, const(b, 0, y), b.op("Div", [exact, safe(b, y, zero, y)])])


floor_divide = binary(
    "floor_divide",
    _floor_divide_lower,
    "Division rounded toward -inf (numpy's ``//``).",
    bool_int=True,
)


def _logaddexp(base):
    def lower(b, x, y):
        top = b.op("Max", [x, y])
        gap = b.op("Neg", [b.op("Abs", [b.op("Sub", [x, y])])])
        if base == 2:
            gap = b.op("Mul", [gap, const(b, math.log(2), x)])
        tail = b.op("Log", [b.op("Add", [const(b, 1.0, x), b.op("Exp", [gap])])])
        if base == 2:
            tail = b.op("Div", [tail, const(b, math.log(2), x)])
        # equal operands (both -inf included, where the gap is NaN)
        same = b.op("Add", [x, const(b, 1.0 if base == 2 else math.log(2), x)])
        return b.op("Where", [b.op("Equal", [x, y]), same, b.op("Add", [top, tail])])

    return lower


logaddexp = binary(
    "logaddexp",
    _logaddexp(math.e),
    "``log(exp(x1) + exp(x2))``, stably.",
    to_float=True,
    strong=True,
)
logaddexp2 = binary(
    "logaddexp2", _logaddexp(2), "``log2(2**x1 + 2**x2)``, stably.", to_float=True, strong=True
)


def _nan_ignoring(onnx_op):
    def lower(b, x, y):
        if dtype_of(x) == "bool":
            return b.op("Or" if onnx_op == "Max" else "And", [x, y])
        out = b.op(onnx_op, [x, y])
        if not _is_float(x):
            return out
        out = b.op("Where", [b.op("IsNaN", [y]), x, out])
        return b.op("Where", [b.op("IsNaN", [x]), y, out])

    return lower


fmax = binary("fmax", _nan_ignoring("Max"), "Element-wise maximum that ignores NaNs.")
fmin = binary("fmin", _nan_ignoring("Min"), "Element-wise minimum that ignores NaNs.")


def _heaviside_lower(b, x, y):
    zero = const(b, 0.0, x)
    step = b.op("Where", [b.op("Greater", [x, zero]), const(b, 1.0, x), zero])
    step = b.op("Where", [b.op("IsNaN", [x]), x, step])
    return b.op("Where", [b.op("Equal", [x, zero]), y, step])


heaviside = binary(
    "heaviside", _heaviside_lower, "0 below zero, 1 above, ``x2`` at zero.", to_float=True
)


def _divide_no_nan_lower(b, x, y):
    zero = b.op("Equal", [y, const(b, 0.0, y)])
    return b.op("Where", [zero, const(b, 0.0, x), b.op("Div", [x, safe(b, y, zero, y)])])


divide_no_nan = binary(
    "divide_no_nan", _divide_no_nan_lower, "``x1 / x2``, 0 where ``x2 == 0``.", to_float=True
)

_ldexp = Op(
    "ldexp",
    lambda x, e: broadcast_spec(x, e),
    lambda b, x, e: b.op(
        "Mul", [x, b.op("Pow", [const(b, 2.0, x), b.op("Cast", [e], {"to": x.dtype})])]
    ),
    promote=False,
)


def ldexp(x1, x2):
    """``x1 * 2**x2`` for an integer exponent ``x2``."""
    if not _spec_of(x2).dtype.startswith(("int", "uint")):
        raise TypeError(f"ldexp needs an integer exponent. Received: x2.dtype={_spec_of(x2).dtype}")
    from kgraph.ops.math_ops import to_float

    return apply(_ldexp, [to_float(x1), x2])


# -- comparisons and logic ----------------------------------------------------------------------

not_equal = binary(
    "not_equal", lambda b, x, y: b.op("Not", [b.op("Equal", [x, y])]), "``x1 != x2``.", boolean=True
)
logical_and = binary(
    "logical_and", lambda b, x, y: b.op("And", [x, y]), "Truth of both.", boolean=True, to_bool=True
)
logical_or = binary(
    "logical_or", lambda b, x, y: b.op("Or", [x, y]), "Truth of either.", boolean=True, to_bool=True
)
logical_xor = binary(
    "logical_xor",
    lambda b, x, y: b.op("Xor", [x, y]),
    "Truth of one only.",
    boolean=True,
    to_bool=True,
)
_logical_not = Op("logical_not", lambda x: Spec(x.shape, "bool"), lambda b, x: b.op("Not", [x]))


def logical_not(x):
    """Element-wise ``not`` of the truth of ``x``."""
    return apply(_logical_not, [cast(x, "bool")])


def _isclose_lower(b, x, y, *, rtol, atol, equal_nan):
    diff = b.op("Abs", [b.op("Sub", [x, y])])
    tol = b.op("Add", [const(b, atol, x), b.op("Mul", [const(b, rtol, x), b.op("Abs", [y])])])
    out = b.op("Or", [b.op("Equal", [x, y]), b.op("LessOrEqual", [diff, tol])])
    if equal_nan and _is_float(x):
        out = b.op("Or", [out, b.op("And", [b.op("IsNaN", [x]), b.op("IsNaN", [y])])])
    return out


_isclose = Op("isclose", lambda a, b, **_: broadcast_spec(a, b, "bool"), _isclose_lower)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """``|x1 - x2| <= atol + rtol * |x2|`` element-wise (equal infinities are close)."""
    attrs = {"rtol": float(rtol), "atol": float(atol), "equal_nan": bool(equal_nan)}
    if _common(x1, x2) == "bool":  # ONNX subtracts no bools
        x1, x2 = cast(x1, "int32"), cast(x2, "int32")
    return apply(_isclose, [x1, x2], **attrs)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether every element of ``x1`` is close to ``x2`` (see :func:`isclose`)."""
    from kgraph.ops.reductions import all as all_

    return all_(isclose(x1, x2, rtol, atol, equal_nan))


# -- nan_to_num ---------------------------------------------------------------------------------


def _nan_to_num_lower(b, x, *, nan, posinf, neginf):
    dtype = dtype_of(x)
    x = b.op("Where", [b.op("IsNaN", [x]), const(b, nan, x), x])
    x = b.op("Where", [b.op("IsInf", [x], {"detect_negative": 0}), const(b, posinf, dtype), x])
    return b.op("Where", [b.op("IsInf", [x], {"detect_positive": 0}), const(b, neginf, dtype), x])


_nan_to_num = Op("nan_to_num", lambda x, **_: x, _nan_to_num_lower, promote=False)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN → ``nan``, +inf → ``posinf`` and -inf → ``neginf`` (the dtype's extremes by default)."""
    dtype = float_dtype(x)
    if dtype is None:
        return x
    x = to_float(x)
    info = np.finfo(dtype)
    posinf = float(info.max) if posinf is None else float(posinf)
    neginf = float(info.min) if neginf is None else float(neginf)
    return apply(_nan_to_num, [x], nan=float(nan), posinf=posinf, neginf=neginf)
