"""Sorting and searching: sort, argsort, top_k, in_top_k, argpartition,
take_along_axis, searchsorted, digitize, isin and select.

``sort``/``argsort``/``top_k`` are ONNX ``TopK`` (``k`` read from the input's shape, so a
dynamic axis works; ties keep the lower index first).
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops import shapes
from kgraph.ops.array import expand_dims
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.layout_ops import broadcast_to
from kgraph.ops.numpy import cast, where
from kgraph.ops.shape_ops import ravel


def _topk_infer(x, *, axis, k, largest):
    shape = list(x.shape)
    shape[axis] = shape[axis] if k is None else k
    return Spec(tuple(shape), x.dtype), Spec(tuple(shape), "int32")


def _topk_lower(b, x, *, axis, k, largest):
    if k is None:
        count = b.op("Shape", [x], {"start": axis, "end": axis + 1})
    else:
        count = b.constant(np.asarray([k], np.int64))
    values, indices = b.op(
        "TopK", [x, count], {"axis": axis, "largest": int(largest), "sorted": 1}, num_outputs=2
    )
    return values, b.op("Cast", [indices], {"to": 6})  # int32


_topk = Op("top_k", _topk_infer, _topk_lower, promote=False)


def _sorted(x, axis, k=None, largest=False):
    spec = _spec_of(x)
    work = cast(x, "int32") if spec.dtype == "bool" else x
    axis = shapes.normalize_axis(axis, spec.ndim)
    n = spec.shape[axis]
    nan_last = k is None and not largest and spec.dtype.startswith("float") and n is not None
    if nan_last:  # TopK places NaNs anywhere; numpy sorts them last
        from kgraph.ops.predicates import isnan

        nan = isnan(x)
        work = where(nan, np.inf, x)
    values, indices = apply(_topk, [work], axis=axis, k=k, largest=bool(largest))
    if nan_last:
        count = knp.sum(cast(nan, "int32"), axis=axis, keepdims=True)
        position = np.arange(n, dtype=np.int32).reshape([-1] + [1] * (spec.ndim - axis - 1))
        values = where(knp.greater_equal(position, knp.subtract(n, count)), np.nan, values)
    return cast(values, spec.dtype) if spec.dtype == "bool" else values, indices


def sort(x, axis=-1):
    """``x`` sorted ascending along ``axis`` (ONNX ``TopK`` over the whole axis)."""
    if axis is None:
        x, axis = ravel(x), 0
    return _sorted(x, axis)[0]


def argsort(x, axis=-1):
    """Indices that sort ``x`` ascending along ``axis`` (int32; equal values keep their order)."""
    if axis is None:
        x, axis = ravel(x), 0
    indices = _sorted(x, axis)[1]
    spec = _spec_of(x)
    axis = shapes.normalize_axis(axis, spec.ndim)
    if spec.dtype.startswith("float") and spec.shape[axis] is not None:
        # NaNs sorted as +inf tie with real +infs (lower index first); a second, stable sort
        # on "is NaN" moves them after every number, as numpy orders them
        from kgraph.ops.predicates import isnan

        nan_in_order = take_along_axis(cast(isnan(x), "int32"), indices, axis=axis)
        indices = take_along_axis(indices, _sorted(nan_in_order, axis)[1], axis=axis)
    return indices


def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` around its ``kth`` element along ``axis``.

    Returns the full ``argsort``, which is a valid partition for every ``kth`` (numpy leaves the
    order inside each side unspecified, so its indices may differ).
    """
    n = _spec_of(x).shape[shapes.normalize_axis(axis, _spec_of(x).ndim)]
    for k in np.atleast_1d(kth):
        if n is not None and not -n <= int(k) < n:
            raise ValueError(f"kth={int(k)} is out of bounds for an axis of length {n}.")
    return argsort(x, axis)


def top_k(x, k, sorted=True):  # noqa: A002  (Keras' argument name)
    """The ``k`` largest values along the last axis and their int32 indices, largest first."""
    n = _spec_of(x).shape[-1]
    if n is not None and not 0 <= int(k) <= n:
        raise ValueError(f"k must be in [0, {n}]. Received: k={k}")
    return _sorted(x, -1, k=int(k), largest=True)


def in_top_k(targets, predictions, k):
    """Whether each target class is among the ``k`` highest predictions of its row (ties count
    as in)."""
    picked = take_along_axis(predictions, expand_dims(cast(targets, "int32"), -1), axis=-1)
    higher = knp.sum(cast(knp.greater(predictions, picked), "int32"), axis=-1)
    return knp.less(higher, int(k))


# -- gathers ---------------------------------------------------------------------------------------


def _indices(indices):
    if isinstance(indices, (list, tuple, int, np.integer)) or (
        isinstance(indices, np.ndarray) and indices.dtype.kind != "i"
    ):
        return np.asarray(indices, dtype=np.int32)
    spec = _spec_of(indices)
    return indices if spec.dtype in ("int32", "int64") else cast(indices, "int32")


def _take_along_infer(x, i, *, axis):
    return Spec(i.shape, x.dtype)


def _take_along_lower(b, x, i, *, axis):
    return b.op("GatherElements", [x, i], {"axis": axis})


_take_along = Op("take_along_axis", _take_along_infer, _take_along_lower, promote=False)


def take_along_axis(x, indices, axis=None):
    """``x`` gathered along ``axis`` at ``indices`` of the same rank (the other axes
    broadcast); ONNX ``GatherElements``."""
    indices = _indices(indices)
    if axis is None:
        x, axis = ravel(x), 0
    xs, ks = _spec_of(x), _spec_of(indices)
    if xs.ndim != ks.ndim:
        raise ValueError(
            f"x and indices must have the same rank. Received: {xs.shape} and {ks.shape}"
        )
    axis = shapes.normalize_axis(axis, xs.ndim)
    rest_x = tuple(1 if i == axis else d for i, d in enumerate(xs.shape))
    rest_k = tuple(1 if i == axis else d for i, d in enumerate(ks.shape))
    common = shapes.broadcast(rest_x, rest_k)
    if None not in common:
        if tuple(rest_x) != common:
            x = broadcast_to(
                x, tuple(xs.shape[axis] if i == axis else d for i, d in enumerate(common))
            )
        if tuple(rest_k) != common:
            indices = broadcast_to(
                indices, tuple(ks.shape[axis] if i == axis else d for i, d in enumerate(common))
            )
    return apply(_take_along, [x, indices], axis=axis)


# -- searching -------------------------------------------------------------------------------------


def searchsorted(sorted_sequence, values, side="left"):
    """Insertion points of ``values`` in the 1-D ascending ``sorted_sequence`` (int32)."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right'. Received: side={side!r}")
    if _spec_of(sorted_sequence).ndim != 1:
        raise ValueError(
            f"sorted_sequence must be 1-D. Received: shape={_spec_of(sorted_sequence).shape}"
        )
    compare = knp.less if side == "left" else knp.less_equal
    below = compare(sorted_sequence, expand_dims(values, -1))
    return knp.sum(cast(below, "int32"), axis=-1)


def digitize(x, bins):
    """Index of the bin of each ``x`` in the ascending ``bins``: ``bins[i-1] <= x < bins[i]``."""
    return searchsorted(bins, x, side="right")


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of ``x1`` occurs in ``x2``."""
    found = knp.max(cast(knp.equal(expand_dims(x1, -1), ravel(x2)), "int32"), axis=-1)
    out = cast(found, "bool")
    return knp.equal(out, False) if invert else out


def select(condlist, choicelist, default=0):
    """The element of the first choice whose condition holds (``default`` where none does)."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            "condlist and choicelist must have the same length. "
            f"Received: {len(condlist)} and {len(choicelist)}"
        )
    out = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = where(condition, choice, out)
    return out
