"""Integer number theory: gcd and lcm.

ONNX has no loop-free gcd, so the lowering unrolls Euclid's algorithm for the worst case of
the dtype (consecutive Fibonacci numbers: 47 steps for int32), each step a ``Mod`` guarded
against a zero divisor; finished lanes stay put.
"""

from __future__ import annotations

from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, _promote, _spec_of, apply
from kgraph.ops.math_ops import const, dtype_of

_STEPS = {"int8": 12, "uint8": 13, "int16": 24, "uint16": 25, "int32": 47, "uint32": 48}


def _gcd_lower(b, x, y):
    dtype = dtype_of(x)
    zero, one = const(b, 0, dtype), const(b, 1, dtype)
    a, c = b.op("Abs", [x]), b.op("Abs", [y])
    for _ in range(_STEPS.get(dtype, 93)):
        active = b.op("Not", [b.op("Equal", [c, zero])])
        remainder = b.op("Mod", [a, b.op("Where", [active, c, one])])
        a, c = b.op("Where", [active, c, a]), b.op("Where", [active, remainder, zero])
    return a


def _lcm_lower(b, x, y):
    g = _gcd_lower(b, x, y)
    dtype = dtype_of(x)
    none = b.op("Equal", [g, const(b, 0, dtype)])
    safe_g = b.op("Where", [none, const(b, 1, dtype), g])
    out = b.op("Abs", [b.op("Mul", [b.op("Div", [x, safe_g]), y])])
    return b.op("Where", [none, const(b, 0, dtype), out])


def _infer(a, c):
    return Spec(shapes.broadcast(a.shape, c.shape), a.dtype)


_gcd = Op("gcd", _infer, _gcd_lower)
_lcm = Op("lcm", _infer, _lcm_lower)


def _check(name, x1, x2):
    dtype = _promote([_spec_of(x1), _spec_of(x2)], [x1, x2])[0].dtype
    if not dtype.startswith(("int", "uint")):
        raise ValueError(f"Arguments to {name} must be integers. Received: dtype={dtype}")


def gcd(x1, x2):
    """Greatest common divisor, element-wise (non-negative; gcd(0, 0) = 0)."""
    _check("gcd", x1, x2)
    return apply(_gcd, [x1, x2])


def lcm(x1, x2):
    """Least common multiple, element-wise (non-negative; 0 when either is 0)."""
    _check("lcm", x1, x2)
    return apply(_lcm, [x1, x2])
