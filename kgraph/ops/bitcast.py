"""``view``: the same bits read as another dtype of the same width, without a bit cast.

ONNX has no bit cast here, so the lowering goes through the signed integer ``s`` of the
dtype's width (as int64): integers convert by wrapping, floats by their sign, biased exponent
and mantissa computed in float64 (the exponent from ``log2``, corrected where it rounds across a
power of two; subnormals, infinities and NaN encoded as IEEE 754 does, NaN as the canonical
quiet NaN). Views that change the item size (float32 as four uint8) are not supported.
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.math_ops import dtype_of

_WIDTH = {
    "int8": 8,
    "uint8": 8,
    "int16": 16,
    "uint16": 16,
    "float16": 16,
    "int32": 32,
    "uint32": 32,
    "float32": 32,
    "int64": 64,
    "float64": 64,
}
_FLOAT = {"float16": (10, 15), "float32": (23, 127), "float64": (52, 1023)}  # mantissa, bias


def _c(b, value, dtype="float64"):
    return b.constant(np.asarray(value, dtype))


def _pow2(b, e):
    """``2 ** e`` in float64 for a float64 ``e`` (two factors: 2**-1074 is below 2**-1022)."""
    half = b.op("Floor", [b.op("Mul", [e, _c(b, 0.5)])])
    return b.op(
        "Mul", [b.op("Pow", [_c(b, 2.0), half]), b.op("Pow", [_c(b, 2.0), b.op("Sub", [e, half])])]
    )


def _encode(b, x, dtype):
    """The signed-integer bits of float ``x`` as int64."""
    mant, bias = _FLOAT[dtype]
    width, top = _WIDTH[dtype], 2 ** (_WIDTH[dtype] - mant - 1) - 1
    a = b.op("Abs", [b.op("Cast", [x], {"to": 11})])
    lowest = 1.0 - bias
    e = b.op(
        "Floor",
        [b.op("Div", [b.op("Log", [b.op("Max", [a, _c(b, 2.0**lowest)])]), _c(b, np.log(2.0))])],
    )
    e = b.op("Where", [b.op("Greater", [_pow2(b, e), a]), b.op("Sub", [e, _c(b, 1.0)]), e])
    e = b.op(
        "Where",
        [
            b.op("LessOrEqual", [_pow2(b, b.op("Add", [e, _c(b, 1.0)])), a]),
            b.op("Add", [e, _c(b, 1.0)]),
            e,
        ],
    )
    normal = b.op("GreaterOrEqual", [a, _c(b, 2.0**lowest)])
    e = b.op("Max", [e, _c(b, lowest)])
    frac = b.op("Mul", [b.op("Sub", [b.op("Div", [a, _pow2(b, e)]), _c(b, 1.0)]), _c(b, 2.0**mant)])
    half = float((mant - lowest) // 2)  # 2**1074 overflows: scale in two steps
    tiny = b.op("Mul", [b.op("Mul", [a, _c(b, 2.0**half)]), _c(b, 2.0 ** (mant - lowest - half))])
    m = b.op("Where", [normal, frac, tiny])
    biased = b.op("Where", [normal, b.op("Add", [e, _c(b, float(bias))]), _c(b, 0.0)])
    special = b.op("Or", [b.op("IsInf", [a]), b.op("IsNaN", [a])])
    biased = b.op("Where", [special, _c(b, float(top)), biased])
    m = b.op(
        "Where",
        [b.op("IsNaN", [a]), _c(b, 2.0 ** (mant - 1)), b.op("Where", [special, _c(b, 0.0), m])],
    )
    magnitude = b.op(
        "Add",
        [
            b.op("Mul", [b.op("Cast", [biased], {"to": 7}), _c(b, 2**mant, "int64")]),
            b.op("Cast", [m], {"to": 7}),
        ],
    )
    negative = b.op(
        "Or",
        [
            b.op("Less", [x, _c(b, 0, dtype)]),
            b.op("Less", [b.op("Reciprocal", [x]), _c(b, 0, dtype)]),
        ],
    )
    shifted = b.op("Add", [magnitude, _c(b, -(2 ** (width - 1)), "int64")])
    return b.op(
        "Where", [b.op("And", [negative, b.op("Not", [b.op("IsNaN", [x])])]), shifted, magnitude]
    )


def _decode(b, s, dtype):
    """The float of dtype ``dtype`` whose signed-integer bits are the int64 ``s``."""
    mant, bias = _FLOAT[dtype]
    width, top = _WIDTH[dtype], 2 ** (_WIDTH[dtype] - mant - 1) - 1
    negative = b.op("Less", [s, _c(b, 0, "int64")])
    low = _c(b, -(2 ** (width - 1)), "int64")  # the sign bit alone (fits int64 for 64 bits)
    magnitude = b.op("Where", [negative, b.op("Sub", [s, low]), s])
    biased = b.op("Div", [magnitude, _c(b, 2**mant, "int64")])
    m = b.op(
        "Cast",
        [b.op("Sub", [magnitude, b.op("Mul", [biased, _c(b, 2**mant, "int64")])])],
        {"to": 11},
    )
    ef = b.op("Cast", [biased], {"to": 11})
    normal = b.op(
        "Mul",
        [
            b.op("Add", [_c(b, 1.0), b.op("Div", [m, _c(b, 2.0**mant)])]),
            _pow2(b, b.op("Sub", [ef, _c(b, float(bias))])),
        ],
    )
    sub = b.op("Mul", [m, _pow2(b, _c(b, float(1 - bias - mant)))])
    value = b.op("Where", [b.op("Equal", [biased, _c(b, 0, "int64")]), sub, normal])
    inf_or_nan = b.op("Where", [b.op("Equal", [m, _c(b, 0.0)]), _c(b, np.inf), _c(b, np.nan)])
    value = b.op("Where", [b.op("Equal", [biased, _c(b, top, "int64")]), inf_or_nan, value])
    sign = b.op("Where", [negative, _c(b, -1.0), _c(b, 1.0)])  # a product keeps -0.0
    value = b.op("Mul", [value, sign])
    return b.op("Cast", [value], {"to": _onnx(dtype)})


def _onnx(dtype):
    from kgraph.compiler.builder import ir_dtype

    return ir_dtype(dtype)


def _view_lower(b, x, *, dtype):
    source, width = dtype_of(x), _WIDTH[dtype]
    if source in _FLOAT:
        s = _encode(b, x, source)
    else:
        s = b.op("Cast", [x], {"to": 7})
        if source.startswith("uint"):
            high = b.op("GreaterOrEqual", [s, _c(b, 2 ** (width - 1), "int64")])
            s = b.op("Where", [high, b.op("Sub", [s, _c(b, 2**width, "int64")]), s])
    if dtype in _FLOAT:
        return _decode(b, s, dtype)
    if dtype.startswith("uint"):
        s = b.op(
            "Where",
            [b.op("Less", [s, _c(b, 0, "int64")]), b.op("Add", [s, _c(b, 2**width, "int64")]), s],
        )
    return b.op("Cast", [s], {"to": _onnx(dtype)})


_view = Op("view", lambda x, *, dtype: Spec(x.shape, dtype), _view_lower, promote=False)


def view(x, dtype=None):
    """The bits of ``x`` read as ``dtype`` (same item size: int32, uint32 and float32 views of
    each other, and likewise for 8, 16 and 64 bits; see the module docstring)."""
    source = _spec_of(x).dtype
    if source == "weak":
        source = dtypes.of_python(x)
    target = source if dtype is None else dtypes.standardize(dtype)
    if target == source:
        return x
    if source not in _WIDTH or target not in _WIDTH or _WIDTH[source] != _WIDTH[target]:
        raise ValueError(
            "view reads the bits as a dtype of the same item size (int8/uint8, "
            "int16/uint16/float16, int32/uint32/float32, int64/float64). "
            f"Received: x.dtype={source}, dtype={target}"
        )
    return apply(_view, [x], dtype=target)
