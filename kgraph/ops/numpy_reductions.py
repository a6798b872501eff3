"""Numpy-like reductions (sum, mean, prod, max, min, argmax) with Keras' edge cases: empty
axes, NaN that wins in max/min/argmax, small ints widened for onnxruntime. Re-exported by
:mod:`kgraph.ops.numpy`, which must be imported first (these use its element-wise ops).
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes
from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import cast as _cast_node
from kgraph.ops.lowering import reduce
from kgraph.ops.numpy import SMALL_INTS, cast, divide, maximum, minimum, multiply, where


def _reduction(name: str, onnx_op: str, to_float: bool = False, widen: bool = False):
    def infer(x, *, axes, keepdims):
        return Spec(shapes.reduced(x.shape, axes, keepdims), x.dtype)

    op = Op(name, infer, lambda b, x, *, axes, keepdims: reduce(b, onnx_op, x, axes, keepdims))

    def fn(x, axis=None, keepdims=False):
        spec = _spec_of(x)
        if to_float and not spec.dtype.startswith("float"):
            x = cast(x, dtypes.FLOATX)
        elif widen and spec.dtype in SMALL_INTS:
            x = cast(x, "int32")  # Keras sums bools and small ints as int32
        axes = shapes.normalize_axes(axis, spec.ndim)
        return apply(op, [x], axes=axes, keepdims=bool(keepdims))

    fn.__name__ = name
    fn.__doc__ = f"``{name}`` over ``axis`` (all axes when None), ONNX ``{onnx_op}``."
    return fn


sum = _reduction("sum", "ReduceSum", widen=True)  # noqa: A001
_mean = _reduction("mean", "ReduceMean", True)
_prod = _reduction("prod", "ReduceProd", widen=True)


def reduces_nothing(x, axis) -> bool:
    """Whether ``axis`` of ``x`` covers a static zero-length dim (an empty reduction)."""
    spec = _spec_of(x)
    if spec.dtype == "weak":
        return False
    sizes = [spec.shape[a] for a in shapes.normalize_axes(axis, spec.ndim)]
    return any(d == 0 for d in sizes)


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes when None); ints average as floatx, an empty axis is NaN."""
    out = _mean(x, axis, keepdims)
    if reduces_nothing(x, axis):  # ORT's ReduceMean gives 0 there; Keras gives 0 / 0
        out = divide(multiply(out, 0.0), 0.0)
    return out


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``; ``dtype`` casts ``x`` first (small ints and bools give int32)."""
    if dtype is not None:
        x = cast(x, dtype)
    return _prod(x, axis, keepdims)


#: ONNX's ReduceMax alone, which skips NaNs as onnxruntime's MaxPool does: kgraph's global
#: max pooling layers use it, so their graphs hold one node; ``max`` adds Keras' NaN check.
reduce_max = _reduction("max", "ReduceMax")


def _nan_propagating(name: str, onnx_op: str):
    base = reduce_max if name == "max" else _reduction(name, onnx_op)
    nan = _reduction(f"{name}_nan_flag", "ReduceMax")

    def fn(x, axis=None, keepdims=False, initial=None):
        if reduces_nothing(x, axis) and initial is None:
            raise ValueError(
                f"zero-size array to reduction operation {name} which has no identity. "
                f"Received: x.shape={_spec_of(x).shape}, axis={axis}"
            )
        out = base(x, axis, keepdims)
        if (_spec_of(x).dtype or "").startswith("float"):  # ONNX's Reduce* skip NaNs
            flag = nan(cast(_isnan(x), "uint8"), axis, keepdims)
            out = where(cast(flag, "bool"), float("nan"), out)
        if initial is not None:
            out = (maximum if name == "max" else minimum)(out, initial)
        return out

    fn.__name__ = name
    fn.__doc__ = f"``{name}`` over ``axis`` (all axes when None); NaN wins, as in Keras."
    return fn


def _isnan(x):
    from kgraph.ops.predicates import isnan

    return isnan(x)


max = _nan_propagating("max", "ReduceMax")  # noqa: A001
min = _nan_propagating("min", "ReduceMin")  # noqa: A001


def _argmax_infer(x, *, axis, keepdims):
    if axis is None:
        return Spec((1,) * x.ndim if keepdims else (), "int32")
    return Spec(shapes.reduced(x.shape, (axis,), keepdims), "int32")


def _argmax_lower(b, x, *, axis, keepdims):
    rank = len(x.shape)
    if axis is None:
        flat = b.op("Reshape", [x, b.constant(np.asarray([-1], np.int64))])
        out = b.op("ArgMax", [flat], {"axis": 0, "keepdims": 0})
        if keepdims:
            out = b.op("Reshape", [out, b.constant(np.ones(rank, np.int64))])
    else:
        out = b.op("ArgMax", [x], {"axis": axis, "keepdims": int(keepdims)})
    return _cast_node(b, out, "int32")


_argmax = Op("argmax", _argmax_infer, _argmax_lower)


def argmax(x, axis=None, keepdims=False):
    """Index of the largest value along ``axis`` (int32, first occurrence on ties; a NaN
    counts as the largest, as in Keras)."""
    spec = _spec_of(x)
    check_arg_reduction("argmax", x, axis)
    if spec.dtype == "bool":
        x = cast(x, "int32")  # ONNX ArgMax takes no bools
    if axis is not None:
        axis = shapes.normalize_axis(axis, spec.ndim)
    out = apply(_argmax, [x], axis=axis, keepdims=bool(keepdims))
    if spec.dtype.startswith("float"):
        out = first_nan_wins(x, out, axis, keepdims)
    return out


def first_nan_wins(x, out, axis, keepdims):
    """``out`` (an arg-reduction of float ``x``), or the first NaN's index in slices with one
    (ONNX's ArgMax/ArgMin skip NaNs; Keras picks them)."""
    nan = cast(_isnan(x), "int32")
    first = apply(_argmax, [nan], axis=axis, keepdims=bool(keepdims))
    has = cast(_reduction("nan_flag", "ReduceMax")(nan, axis, keepdims), "bool")
    return where(has, first, out)


def check_arg_reduction(name: str, x, axis) -> None:
    """Keras' error for an arg-reduction over an empty axis."""
    if reduces_nothing(x, axis):
        raise ValueError(
            f"attempt to get {name} of an empty sequence. "
            f"Received: x.shape={_spec_of(x).shape}, axis={axis}"
        )
