"""Reductions and statistics: any/all, argmin, var/std, cumulative sums and products,
logsumexp, count_nonzero, average, ptp, diff, trapezoid and the NaN-ignoring ``nan*`` family.

``cumprod`` has no ONNX node: it is a log-depth scan (``ceil(log2 n)`` rounds of ``y *= y
shifted by 2**k``, the shift a ``Slice`` plus a ``Pad`` with ones), exact with zeros and
negative values, differentiable through existing rules, and needs a static length on its axis.
"""

from __future__ import annotations

import builtins

import numpy as np

from kgraph import dtypes
from kgraph.ops import numpy as knp
from kgraph.ops import shapes
from kgraph.ops.binary_ops import logical_and, logical_or, not_equal
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import cast as cast_node
from kgraph.ops.lowering import reduce, scalar
from kgraph.ops.math_ops import const, dtype_of, float_dtype, to_float
from kgraph.ops.numpy import (
    cast,
    divide,
    mean,
    multiply,
    reduces_nothing,
    sqrt,
    subtract,
    where,
)
from kgraph.ops.predicates import isnan


def _flat_or(x, axis):
    """``(x, axis)``, or the flattened ``x`` and axis 0 when ``axis`` is None."""
    from kgraph.ops.array import reshape

    if axis is None:
        return reshape(x, (-1,)), 0
    return x, shapes.normalize_axis(axis, _spec_of(x).ndim)


def _reduced(x, *, axes, keepdims, **_):
    return Spec(shapes.reduced(x.shape, axes, keepdims), "bool")


def _truth_lower(b, x, *, axes, keepdims, onnx_op):
    truth = x if dtype_of(x) == "bool" else b.op("Not", [b.op("Equal", [x, const(b, 0, x)])])
    out = reduce(b, onnx_op, cast_node(b, truth, "int32"), axes, keepdims)
    return cast_node(b, out, "bool")


_truth = Op("truth_reduction", _reduced, _truth_lower, promote=False)


def any(x, axis=None, keepdims=False):  # noqa: A001
    """Whether any element along ``axis`` is true (nonzero); False over an empty axis."""
    axes = shapes.normalize_axes(axis, _spec_of(x).ndim)
    out = apply(_truth, [x], axes=axes, keepdims=bool(keepdims), onnx_op="ReduceMax")
    # ORT's ReduceMax of nothing is the dtype's lowest value, which reads as true
    return logical_and(out, False) if reduces_nothing(x, axis) else out


def all(x, axis=None, keepdims=False):  # noqa: A001
    """Whether every element along ``axis`` is true (nonzero); True over an empty axis."""
    axes = shapes.normalize_axes(axis, _spec_of(x).ndim)
    out = apply(_truth, [x], axes=axes, keepdims=bool(keepdims), onnx_op="ReduceMin")
    return logical_or(out, True) if reduces_nothing(x, axis) else out


def amax(x, axis=None, keepdims=False):
    """The maximum along ``axis`` (as ``max``)."""
    return knp.max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False):
    """The minimum along ``axis`` (as ``min``)."""
    return knp.min(x, axis=axis, keepdims=keepdims)


def _arg_infer(x, *, axis, keepdims, onnx_op):
    if axis is None:
        return Spec((1,) * x.ndim if keepdims else (), "int32")
    return Spec(shapes.reduced(x.shape, (axis,), keepdims), "int32")


def _arg_lower(b, x, *, axis, keepdims, onnx_op):
    if axis is None:
        flat = b.op("Reshape", [x, b.constant(np.asarray([-1], np.int64))])
        out = b.op(onnx_op, [flat], {"axis": 0, "keepdims": 0})
        if keepdims:
            out = b.op("Reshape", [out, b.constant(np.ones(len(x.shape), np.int64))])
    else:
        out = b.op(onnx_op, [x], {"axis": axis, "keepdims": int(keepdims)})
    return cast_node(b, out, "int32")


_arg = Op("arg_extremum", _arg_infer, _arg_lower, promote=False)


def argmin(x, axis=None, keepdims=False):
    """Index of the smallest value along ``axis`` (int32, first occurrence on ties; a NaN
    counts as the smallest, as in Keras)."""
    spec = _spec_of(x)
    knp.check_arg_reduction("argmin", x, axis)
    if spec.dtype == "bool":
        x = cast(x, "int32")
    if axis is not None:
        axis = shapes.normalize_axis(axis, spec.ndim)
    out = apply(_arg, [x], axis=axis, keepdims=bool(keepdims), onnx_op="ArgMin")
    if spec.dtype.startswith("float"):
        out = knp.first_nan_wins(x, out, axis, keepdims)
    return out


def nan_filled(x, value):
    """``x`` with NaNs replaced by ``value`` (unchanged when not a float tensor)."""
    if float_dtype(x) is None:
        return x
    return where(isnan(x), value, x)


def _all_nan_is_minus_one(x, out, axis, keepdims):
    """-1 where a slice is all NaN (Keras' answer there)."""
    if float_dtype(x) is None:
        return out
    return where(all(isnan(x), axis=axis, keepdims=keepdims), -1, out)


def nanargmax(x, axis=None, keepdims=False):
    """``argmax`` ignoring NaNs (-1 for an all-NaN slice)."""
    from kgraph.ops.numpy import argmax

    out = argmax(nan_filled(x, -np.inf), axis=axis, keepdims=keepdims)
    return _all_nan_is_minus_one(x, out, axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """``argmin`` ignoring NaNs (-1 for an all-NaN slice)."""
    out = argmin(nan_filled(x, np.inf), axis=axis, keepdims=keepdims)
    return _all_nan_is_minus_one(x, out, axis, keepdims)


# -- moments ------------------------------------------------------------------------------------


def _var_lower(b, x, *, axes, keepdims):
    centered = b.op("Sub", [x, reduce(b, "ReduceMean", x, axes, True)])
    return reduce(b, "ReduceMean", b.op("Mul", [centered, centered]), axes, keepdims)


_var = Op(
    "var",
    lambda x, *, axes, keepdims: Spec(shapes.reduced(x.shape, axes, keepdims), x.dtype),
    _var_lower,
    promote=False,
)


def var(x, axis=None, keepdims=False):
    """Population variance (``ddof=0``) along ``axis``; ints give floatx."""
    x = to_float(x)
    axes = shapes.normalize_axes(axis, _spec_of(x).ndim)
    out = apply(_var, [x], axes=axes, keepdims=bool(keepdims))
    return multiply(out, np.nan) if reduces_nothing(x, axis) else out  # 0 / 0, as in Keras


def std(x, axis=None, keepdims=False):
    """Population standard deviation along ``axis``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


_logsumexp = Op(
    "logsumexp",
    lambda x, *, axes, keepdims: Spec(shapes.reduced(x.shape, axes, keepdims), x.dtype),
    lambda b, x, *, axes, keepdims: reduce(b, "ReduceLogSumExp", x, axes, keepdims),
    promote=False,
)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` along ``axis``, without overflow (ONNX ``ReduceLogSumExp``)."""
    x = to_float(x)
    axes = shapes.normalize_axes(axis, _spec_of(x).ndim)
    return apply(_logsumexp, [x], axes=axes, keepdims=bool(keepdims))


# -- cumulative -----------------------------------------------------------------------------------

_SCAN_NATIVE = ("int32", "int64", "uint32", "uint64", "float16", "float32", "float64")


def _cumsum_lower(b, x, *, axis):
    return b.op("CumSum", [x, scalar(b, axis, "int64")])


def _cumprod_lower(b, x, *, axis):
    n, dtype = x.shape[axis], dtype_of(x)
    y, shift = x, 1
    while shift < n:
        head = b.op(
            "Slice",
            [y, *(b.constant(np.asarray([v], np.int64)) for v in (0, n - shift, axis))],
        )
        pads = b.constant(np.asarray([shift, 0], np.int64))
        shifted = b.op("Pad", [head, pads, const(b, 1, dtype), b.constant(np.asarray([axis]))])
        y = b.op("Mul", [y, shifted])
        shift *= 2
    return y if y is not x else b.op("Identity", [x])


_cumsum = Op("cumsum", lambda x, *, axis: x, _cumsum_lower, promote=False)
_cumprod = Op("cumprod", lambda x, *, axis: x, _cumprod_lower, promote=False)


def _cumulative(op, x, axis, dtype):
    x, axis = _flat_or(x, axis)
    source = _spec_of(x).dtype
    target = dtypes.standardize(dtype) if dtype is not None else source
    if target == "bool" or source == "bool":
        target = "int32" if target == "bool" else target
    work = target if target in _SCAN_NATIVE else "int32"
    if op is _cumprod and _spec_of(x).shape[axis] is None:
        raise ValueError(
            f"cumprod needs a static length along axis {axis}. Received: shape={_spec_of(x).shape}"
        )
    out = apply(op, [cast(x, work)], axis=axis)
    return cast(out, target)


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (of the flattened ``x`` when None); ONNX ``CumSum``."""
    return _cumulative(_cumsum, x, axis, dtype)


def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` (of the flattened ``x`` when None).

    A log-depth scan of products (see the module docstring): the axis needs a static length.
    """
    return _cumulative(_cumprod, x, axis, dtype)


def nancumsum(x, axis=None, dtype=None):
    """``cumsum`` with NaNs counted as 0."""
    return cumsum(nan_filled(x, 0.0), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    """``cumprod`` with NaNs counted as 1."""
    return cumprod(nan_filled(x, 1.0), axis=axis, dtype=dtype)


# -- counts and averages ----------------------------------------------------------------------


def count_nonzero(x, axis=None):
    """Number of nonzero elements along ``axis`` (int32)."""
    from kgraph.ops.binary_ops import not_equal

    return knp.sum(cast(not_equal(x, 0), "int32"), axis=axis)


def average(x, axis=None, weights=None):
    """Weighted mean along ``axis``; 1-D ``weights`` apply along ``axis``."""
    from kgraph.ops.array import reshape

    x = to_float(x)
    if weights is None:
        return mean(x, axis=axis)
    weights = cast(weights, _spec_of(x).dtype) if _spec_of(weights).dtype != "weak" else weights
    spec, wspec = _spec_of(x), _spec_of(weights)
    if axis is not None and wspec.ndim == 1 and spec.ndim > 1:
        axis = shapes.normalize_axis(axis, spec.ndim)
        weights = reshape(weights, [-1 if i == axis else 1 for i in range(spec.ndim)])
    total = knp.sum(multiply(x, weights), axis=axis)
    return divide(total, knp.sum(multiply(weights, x * 0 + 1), axis=axis))


def ptp(x, axis=None, keepdims=False):
    """Range (maximum minus minimum) along ``axis``."""
    return subtract(
        knp.max(x, axis=axis, keepdims=keepdims), knp.min(x, axis=axis, keepdims=keepdims)
    )


def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``."""
    from kgraph.ops.indexing import get_item

    axis = shapes.normalize_axis(axis, _spec_of(a).ndim)
    tail, head = _shifted_keys(axis)
    for _ in range(int(n)):  # bools differ where they change (as numpy and Keras)
        step = not_equal if _spec_of(a).dtype == "bool" else subtract
        a = step(get_item(a, tail), get_item(a, head))
    return a


def _shifted_keys(axis):
    """Index keys of ``x[..., 1:]`` and ``x[..., :-1]`` along ``axis``."""
    lead = (builtins.slice(None),) * axis
    return (*lead, builtins.slice(1, None)), (*lead, builtins.slice(None, -1))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (samples ``x`` or step ``dx``)."""
    from kgraph.ops.indexing import get_item

    y = to_float(y)
    axis = shapes.normalize_axis(axis, _spec_of(y).ndim)
    tail, head = _shifted_keys(axis)
    mid = multiply(get_item(y, tail) + get_item(y, head), 0.5)
    step = dx if x is None else diff(to_float(x), axis=-1 if _spec_of(x).ndim == 1 else axis)
    if x is not None and _spec_of(x).ndim == 1 and _spec_of(y).ndim > 1:
        from kgraph.ops.array import reshape

        step = reshape(step, [-1 if i == axis else 1 for i in range(_spec_of(y).ndim)])
    return knp.sum(multiply(mid, step), axis=axis)
