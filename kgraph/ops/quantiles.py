"""Order statistics: quantile, percentile, median, and ``extract_sequences`` (frames).

A quantile sorts the reduced axes (moved last and flattened) with ``TopK`` and gathers the two
neighbouring order statistics at positions computed in numpy from the static count, then
interpolates with numpy's methods (linear, lower, higher, midpoint, nearest). The reduced axes
need static lengths and ``q`` must be a Python or numpy value (it fixes the gather positions).
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import shapes
from kgraph.ops.array import expand_dims, reshape, transpose
from kgraph.ops.core import _spec_of
from kgraph.ops.math_ops import to_float
from kgraph.ops.numpy import add, multiply, subtract
from kgraph.ops.shape_ops import gather_static, moveaxis
from kgraph.ops.sorting import sort
from kgraph.tensor import KerasTensor

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _positions(qs, n, method):
    """Lower and upper order-statistic indices and the weight of the upper one."""
    pos = qs * (n - 1)
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    frac = pos - lo
    if method == "lower":
        hi, frac = lo, np.zeros_like(frac)
    elif method == "higher":
        lo, frac = hi, np.zeros_like(frac)
    elif method == "nearest":
        lo = hi = np.around(pos).astype(np.int64)
        frac = np.zeros_like(frac)
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0)
    return lo, hi, frac


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1], a scalar or 1-D) of ``x`` along ``axis``.

    A 1-D ``q`` puts the quantiles on a new first axis, as numpy does.
    """
    if isinstance(q, KerasTensor):
        raise ValueError("quantile needs q as a Python or numpy value (it fixes the positions).")
    qs = np.asarray(q, np.float64)
    if qs.ndim > 1 or ((qs < 0) | (qs > 1)).any():
        raise ValueError(f"q must be a scalar or 1-D, with values in [0, 1]. Received: q={q}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}. Received: method={method!r}")
    x = to_float(x)
    spec = _spec_of(x)
    axes = shapes.normalize_axes(axis, spec.ndim)
    kept = [a for a in range(spec.ndim) if a not in axes]
    sizes = [spec.shape[a] for a in axes]
    if None in sizes:
        raise ValueError(
            f"quantile needs static lengths on the reduced axes. Received: shape={spec.shape}"
        )
    n = int(np.prod(sizes, dtype=np.int64))
    flat = reshape(transpose(x, kept + list(axes)), [None] * len(kept) + [-1])
    ordered = sort(flat, axis=-1)
    lo, hi, frac = _positions(qs.reshape(-1), n, method)
    low = gather_static(ordered, lo, len(kept))
    out = low
    if (frac != 0).any():
        high = gather_static(ordered, hi, len(kept))
        out = add(low, multiply(subtract(high, low), frac.astype(spec.dtype)))
    return _shape_result(out, qs, axes, keepdims, len(kept))


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """:func:`quantile` over the non-NaN elements (NaN where a slice has none).

    NaNs are sorted last as +inf; each slice's positions come from its own count of values,
    computed in the graph.
    """
    from kgraph.ops import numpy as knp
    from kgraph.ops.numpy import cast, ceil, floor, minimum, where
    from kgraph.ops.predicates import isnan
    from kgraph.ops.sorting import take_along_axis

    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}. Received: method={method!r}")
    qs = np.asarray(q, np.float64)
    x = to_float(x)
    spec = _spec_of(x)
    axes = shapes.normalize_axes(axis, spec.ndim)
    kept = [a for a in range(spec.ndim) if a not in axes]
    flat = reshape(transpose(x, kept + list(axes)), [None] * len(kept) + [-1])
    missing = isnan(flat)
    ordered = sort(where(missing, np.inf, flat), axis=-1)
    count = knp.sum(cast(missing, spec.dtype) * -1.0 + 1.0, axis=-1, keepdims=True)
    pos = multiply(subtract(count, 1.0), qs.reshape(-1).astype(spec.dtype))
    lo = floor(pos)
    hi = ceil(pos) if method == "midpoint" else minimum(lo + 1.0, subtract(count, 1.0))
    frac = subtract(pos, lo)
    if method in ("lower", "higher", "nearest"):
        pick = {"lower": lo, "higher": ceil(pos), "nearest": _round_even(pos)}
        lo = hi = pick[method]
    index = [cast(where(v < 0, 0.0, v), "int32") for v in (lo, hi)]
    low, high = (take_along_axis(ordered, i, axis=-1) for i in index)
    weight = 0.5 if method == "midpoint" else frac
    out = (
        low
        if method in ("lower", "higher", "nearest")
        else add(low, multiply(subtract(high, low), where(hi > lo, weight, 0.0)))
    )
    out = where(count < 1.0, np.nan, out)
    return _shape_result(out, qs, axes, keepdims, len(kept))


def _round_even(v):
    from kgraph.ops.math_ops import round as round_

    return round_(v)


def _shape_result(out, qs, axes, keepdims, kept):
    """``(kept..., m)`` results laid out as numpy does: the q axis first, reduced axes kept."""
    if qs.ndim == 0:
        out, lead = reshape(out, [None] * kept), 0
    else:
        out, lead = moveaxis(out, -1, 0), 1
    if keepdims and axes:
        out = expand_dims(out, [a + lead for a in axes])
    return out


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """:func:`percentile` over the non-NaN elements."""
    return nanquantile(x, np.asarray(q, np.float64) / 100.0, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    """:func:`median` over the non-NaN elements."""
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentiles (``q`` in [0, 100]); see :func:`quantile`."""
    if isinstance(q, KerasTensor):
        raise ValueError("percentile needs q as a Python or numpy value.")
    return quantile(x, np.asarray(q, np.float64) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """The median along ``axis`` (the mean of the two middle values for an even count)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last axis:
    ``(..., L)`` becomes ``(..., frames, sequence_length)`` (static ``L``)."""
    spec = _spec_of(x)
    length, size, stride = spec.shape[-1], int(sequence_length), int(sequence_stride)
    if length is None or size > length or size < 1 or stride < 1:
        raise ValueError(
            f"extract_sequences needs a static last axis of at least sequence_length={size} and "
            f"a positive stride. Received: x.shape={spec.shape}, sequence_stride={stride}"
        )
    frames = 1 + (length - size) // stride
    index = (np.arange(frames)[:, None] * stride + np.arange(size)[None, :]).reshape(-1)
    gathered = gather_static(x, index, spec.ndim - 1)
    return reshape(gathered, [None] * (spec.ndim - 1) + [frames, size])
