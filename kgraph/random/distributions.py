"""``normal``, ``uniform``, ``randint`` and ``truncated_normal``: ONNX RandomNormal and
RandomUniform nodes (compositions of them for the last two).

``truncated_normal`` draws 8 normal candidates per element and keeps the first within two
standard deviations (ArgMax + GatherElements): each candidate misses with probability 0.0455,
so all 8 miss with probability 2e-11, and such an element is clipped to the bound.
"""

from __future__ import annotations

import contextlib
import contextvars

import numpy as np
import onnx_ir as ir

from kgraph import dtypes, trace
from kgraph.compiler.builder import ir_dtype
from kgraph.ops import dynamic_shapes
from kgraph.ops.core import Op, Spec, apply
from kgraph.random.seed_generator import draw_seed
from kgraph.tensor import KerasTensor

CANDIDATES = 8


class RuntimeShape(tuple):
    """A random op's shape holding run-time sizes (0-d tensors from ``ops.shape``): the
    static dims (None where a tensor stands), with the int64 ``vector`` of the sizes."""

    vector = None


def shape_tuple(shape) -> tuple:
    """``shape`` as a tuple of non-negative ints (an int is a 1-D shape); a leading None is the
    batch size, resolved in the graph (:func:`batch_dims`); run-time sizes (tensors from
    ``ops.shape``) give a :class:`RuntimeShape`."""
    if dynamic_shapes.is_dynamic(shape):
        out = RuntimeShape(dynamic_shapes.static_dims(shape))
        out.vector = dynamic_shapes.shape_vector(shape)
        shape = out
    elif isinstance(shape, (int, np.integer)):
        shape = (shape,)
    else:
        shape = tuple(None if d is None and i == 0 else int(d) for i, d in enumerate(shape))
    if any(d is not None and d < 0 for d in shape):
        raise ValueError(f"shape must not have negative dims. Received: shape={shape}")
    return shape


_RUNTIME_SHAPE: contextvars.ContextVar = contextvars.ContextVar("kgraph_random_shape")


def draw(op, shape: tuple, dtype: str, **attrs):
    """Applies the zero-input random ``op``; with a batch (None) dim, only inside a model: a
    symbolic result while a functional model is defined, graph nodes while it is traced."""
    vector = getattr(shape, "vector", None)
    if vector is not None:
        if vector._value is None:
            return KerasTensor(shape, dtype)
        with runtime_shape(shape):
            return apply(op, [], shape=tuple(shape), dtype=dtype, **attrs)
    if shape and shape[0] is None and trace.current() is None:
        if not trace.in_layer_call():
            raise ValueError(
                "A None (batch) dim in a random op's shape only has a size inside a model's "
                f"layers. Received: shape={shape}"
            )
        return KerasTensor(shape, dtype)
    return apply(op, [], shape=shape, dtype=dtype, **attrs)


@contextlib.contextmanager
def runtime_shape(shape):
    """While a random op with a :class:`RuntimeShape` lowers, :func:`batch_dims` reads its
    sizes."""
    vector = getattr(shape, "vector", None)
    token = _RUNTIME_SHAPE.set(None if vector is None else vector._value)
    try:
        yield
    finally:
        _RUNTIME_SHAPE.reset(token)


def batch_dims(b, shape):
    """An int64 tensor of ``shape`` at run time: the sizes ``draw`` was given as tensors (after
    any static leading dims the lowering added), or else None read as the batch size, the
    leading dim of the graph's first input (a traced model's first input)."""
    vector = _RUNTIME_SHAPE.get(None)
    if vector is not None:
        lead = len(shape) - int(vector.shape[0])
        parts = ([b.constant(np.asarray(shape[:lead], np.int64))] if lead else []) + [vector]
        return b.op("Concat", parts, {"axis": 0}) if lead else vector
    if not len(b.graph.inputs):
        raise ValueError(f"A None (batch) dim needs a model input. Received: shape={shape}")
    batch = b.op("Shape", [b.graph.inputs[0]], {"start": 0, "end": 1})
    parts = [batch if d is None else b.constant(np.asarray([d], np.int64)) for d in shape]
    return b.op("Concat", parts, {"axis": 0})


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
    attrs = {**attrs, "seed": float(seed), "dtype": ir_dtype(native)}
    if None in shape:  # the *Like form on zeros of the run-time shape
        zeros = b.op(
            "ConstantOfShape",
            [batch_dims(b, shape)],
            {"value": ir.tensor(np.zeros((1,), np.float32))},
        )
        out = b.op(f"{op_type}Like", [zeros], attrs)
    else:
        out = b.op(op_type, [], {**attrs, "shape": list(shape)})
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
    return draw(
        _normal, shape_tuple(shape), dtype, mean=float(mean), stddev=float(stddev),
        seed=draw_seed(seed),
    )  # fmt: skip


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
    return draw(
        _uniform, shape_tuple(shape), dtype, minval=float(minval), maxval=float(maxval),
        seed=draw_seed(seed),
    )  # fmt: skip


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
    return draw(
        _randint, shape_tuple(shape), dtype, minval=int(minval), maxval=int(maxval),
        seed=draw_seed(seed),
    )  # fmt: skip


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
    return draw(
        _truncated, shape_tuple(shape), dtype, mean=float(mean), stddev=float(stddev),
        seed=draw_seed(seed),
    )  # fmt: skip
