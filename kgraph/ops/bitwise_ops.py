"""Bitwise ops on integer and bool tensors: and/or/xor/not and the shifts.

Bools use the logical ONNX ops (``BitwiseAnd`` takes integers only). Unsigned shifts are ONNX
``BitShift``; signed ones (which ``BitShift`` does not take) multiply or floor-divide by
``2**y``, so right shifts round toward -inf as numpy's arithmetic shift does.
"""

from __future__ import annotations

from kgraph.ops.binary_ops import binary, broadcast_spec, int_mod
from kgraph.ops.core import Op, _spec_of, apply
from kgraph.ops.math_ops import const, dtype_of
from kgraph.ops.numpy import cast

# -- bitwise --------------------------------------------------------------------------------------


def _bitwise(onnx_op, bool_op):
    def lower(b, x, y):
        return b.op(bool_op if dtype_of(x) == "bool" else onnx_op, [x, y])

    return lower


_and = binary("bitwise_and", _bitwise("BitwiseAnd", "And"), "")
_or = binary("bitwise_or", _bitwise("BitwiseOr", "Or"), "")
_xor = binary("bitwise_xor", _bitwise("BitwiseXor", "Xor"), "")


def bitwise_and(x, y):
    """Bitwise ``&`` of integers or bools."""
    return _and(x, y)


def bitwise_or(x, y):
    """Bitwise ``|`` of integers or bools."""
    return _or(x, y)


def bitwise_xor(x, y):
    """Bitwise ``^`` of integers or bools."""
    return _xor(x, y)


_bitwise_not = Op(
    "bitwise_not",
    lambda x: x,
    lambda b, x: b.op("Not" if dtype_of(x) == "bool" else "BitwiseNot", [x]),
    promote=False,
)


def bitwise_invert(x):
    """Bitwise ``~`` of an integer or bool tensor."""
    return apply(_bitwise_not, [x])


bitwise_not = bitwise_invert


def _shift_lower(b, x, y, *, left):
    if dtype_of(x).startswith("uint"):
        return b.op("BitShift", [x, y], {"direction": "LEFT" if left else "RIGHT"})
    factor = b.op("Pow", [const(b, 2, x), y])  # signed: shifts are products by 2**y
    if left:
        return b.op("Mul", [x, factor])
    return b.op("Div", [b.op("Sub", [x, int_mod(b, x, factor)]), factor])


_shift = Op("shift", lambda a, c, *, left: broadcast_spec(a, c), _shift_lower)


def _check_int(name, *xs):
    """Bools shift as int32 (as in Keras); floats are refused."""
    out = []
    for x in xs:
        dtype = _spec_of(x).dtype
        if dtype == "bool":
            x = cast(x, "int32")
        elif not (dtype.startswith(("int", "uint")) or dtype == "weak"):
            raise TypeError(f"{name} takes integer tensors. Received: dtype={dtype}")
        out.append(x)
    return out


def left_shift(x, y):
    """``x << y`` for integer tensors."""
    return apply(_shift, _check_int("left_shift", x, y), left=True)


def right_shift(x, y):
    """``x >> y`` for integer tensors (arithmetic: rounds toward -inf for signed ones)."""
    return apply(_shift, _check_int("right_shift", x, y), left=False)


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift
