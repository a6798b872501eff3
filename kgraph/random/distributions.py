"""``normal``, ``uniform``, ``randint`` and ``truncated_normal``: ONNX RandomNormal and
RandomUniform nodes (compositions of them for the last two).

``truncated_normal`` draws 8 normal candidates per element and keeps the first within two
standard deviations (ArgMax + GatherElements): each candidate misses with probability 0.0455,
so all 8 miss with probability 2e-11, and such an element is clipped to the bound.
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes
from kgraph.compiler.builder import ir_dtype
from kgraph.ops.core import Op, Spec, apply
from kgraph.random.seed_generator import draw_seed

CANDIDATES = 8


def shape_tuple(shape) -> tuple:
    """``shape`` as a tuple of non-negative ints (an int is a 1-D shape)."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"shape must not have negative dims. Received: shape={shape}")
    return shape


def float_dtype(dtype, fn: str) -> str:
    """``dtype`` standardized (floatx when None); raises unless floating point."""
    dtype = dtypes.standardize(dtype) if dtype is not None else dtypes.FLOATX
    if not dtype.startswith("float"):
        raise ValueError(
            f"`keras.random.{fn}` requires a floating point `dtype`. Received: dtype={dtype} "
        )
    return dtype


_NATIVE = ("float32", "float64")  # onnxruntime's CPU random kernels; others are cast


def _random(b, op_type, shape, seed, dtype, attrs):
    native = dtype if dtype in _NATIVE else "float32"
    attrs = {**attrs, "shape": list(shape), "seed": float(seed), "dtype": ir_dtype(native)}
    out = b.op(op_type, [], attrs)
    return out if native == dtype else b.op("Cast", [out], {"to": ir_dtype(dtype)})


def random_normal(b, shape, seed: int, dtype: str = "float32", mean=0.0, scale=1.0):
    """Emits a RandomNormal node (``shape`` static)."""
    return _random(b, "RandomNormal", shape, seed, dtype, {"mean": mean, "scale": scale})


def random_uniform(b, shape, seed: int, dtype: str = "float32", low=0.0, high=1.0):
    """Emits a RandomUniform node (``shape`` static), kept below ``high``: rounding
    ``low + (high - low) * u`` can otherwise reach it."""
    out = _random(b, "RandomUniform", shape, seed, dtype, {"low": float(low), "high": float(high)})
    below = np.nextafter(np.asarray(high, dtype), np.asarray(low, dtype))
    return b.op("Min", [out, b.constant(np.asarray(below, dtype))])


def _normal_lower(b, *, shape, mean, stddev, seed, dtype):
    return random_normal(b, shape, seed, dtype, mean, stddev)


_normal = Op("random_normal", lambda **a: Spec(a["shape"], a["dtype"]), _normal_lower, random=True)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution of ``mean`` and ``stddev``.

    Args:
        shape: Shape of the result.
        mean: Mean of the distribution.
        stddev: Standard deviation of the distribution.
        dtype: A float dtype (floatx when None).
        seed: An int (same values every call), a ``SeedGenerator`` or None.
    """
    dtype = float_dtype(dtype, "normal")
    return apply(
        _normal,
        [],
        shape=shape_tuple(shape),
        mean=float(mean),
        stddev=float(stddev),
        seed=draw_seed(seed),
        dtype=dtype,
    )


def _uniform_lower(b, *, shape, minval, maxval, seed, dtype):
    return random_uniform(b, shape, seed, dtype, minval, maxval)


_uniform = Op(
    "random_uniform", lambda **a: Spec(a["shape"], a["dtype"]), _uniform_lower, random=True
)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniformly from ``[minval, maxval)``.

    Args:
        shape: Shape of the result.
        minval: Lower bound (included).
        maxval: Upper bound (excluded).
        dtype: A float dtype (floatx when None).
        seed: An int, a ``SeedGenerator`` or None.
    """
    dtype = float_dtype(dtype, "uniform")
    return apply(
        _uniform,
        [],
        shape=shape_tuple(shape),
        minval=float(minval),
        maxval=float(maxval),
        seed=draw_seed(seed),
        dtype=dtype,
    )


def _randint_lower(b, *, shape, minval, maxval, seed, dtype):
    # floor of a double-precision uniform draw, kept below maxval against rounding
    draw = random_uniform(b, shape, seed, "float64", minval, maxval)
    top = b.constant(np.asarray(maxval - 1, np.float64))
    floored = b.op("Min", [b.op("Floor", [draw]), top])
    return b.op("Cast", [floored], {"to": ir_dtype(dtype)})


_randint = Op(
    "random_randint", lambda **a: Spec(a["shape"], a["dtype"]), _randint_lower, random=True
)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Samples integers uniformly from ``[minval, maxval)``.

    Args:
        shape: Shape of the result.
        minval: Lower bound (included).
        maxval: Upper bound (excluded).
        dtype: An integer dtype.
        seed: An int, a ``SeedGenerator`` or None.
    """
    dtype = dtypes.standardize(dtype)
    if "int" not in dtype:
        raise ValueError(
            f"`keras.random.randint` requires an integer `dtype`. Received: dtype={dtype} "
        )
    if int(maxval) <= int(minval):
        raise ValueError(
            f"`maxval` must be greater than `minval`. Received: minval={minval}, maxval={maxval}"
        )
    return apply(
        _randint,
        [],
        shape=shape_tuple(shape),
        minval=int(minval),
        maxval=int(maxval),
        seed=draw_seed(seed),
        dtype=dtype,
    )


def first_accepted(b, candidates, accepted):
    """Along axis 0 of ``candidates``, the first one whose ``accepted`` flag is set (the
    first candidate where none is)."""
    flags = b.op("Cast", [accepted], {"to": ir_dtype("float32")})
    index = b.op("ArgMax", [flags], {"axis": 0, "keepdims": 1, "select_last_index": 0})
    picked = b.op("GatherElements", [candidates, index], {"axis": 0})
    return b.op("Squeeze", [picked, b.constant(np.asarray([0], np.int64))])


def _truncated_lower(b, *, shape, mean, stddev, seed, dtype):
    draws = random_normal(b, (CANDIDATES, *shape), seed, dtype)
    two = b.constant(np.asarray(2.0, dtype))
    inside = b.op("LessOrEqual", [b.op("Abs", [draws]), two])
    picked = first_accepted(b, draws, inside)
    clipped = b.op("Clip", [picked, b.op("Neg", [two]), two])
    scaled = b.op("Mul", [clipped, b.constant(np.asarray(stddev, dtype))])
    return b.op("Add", [scaled, b.constant(np.asarray(mean, dtype))])


_truncated = Op(
    "random_truncated_normal",
    lambda **a: Spec(a["shape"], a["dtype"]),
    _truncated_lower,
    random=True,
)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution truncated to ``mean ± 2 * stddev`` (values outside
    are redrawn; see the module docstring for the composition).

    Args:
        shape: Shape of the result.
        mean: Mean of the distribution before truncation.
        stddev: Standard deviation before truncation.
        dtype: A float dtype (floatx when None).
        seed: An int, a ``SeedGenerator`` or None.
    """
    dtype = float_dtype(dtype, "truncated_normal")
    return apply(
        _truncated,
        [],
        shape=shape_tuple(shape),
        mean=float(mean),
        stddev=float(stddev),
        seed=draw_seed(seed),
        dtype=dtype,
    )
