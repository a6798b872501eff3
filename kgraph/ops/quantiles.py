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
from kgraph.ops.math_ops import bool_like, to_float
from kgraph.ops.numpy import add, multiply, subtract, where
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


def lerp(low, high, t):
    """``low * (1 - t) + high * t`` (JAX's form, so an infinite end gives that infinity, not
    NaN), exactly ``low`` where ``t`` is 0."""
    from kgraph.ops.numpy import equal

    mixed = add(multiply(low, subtract(1.0, t)), multiply(high, t))
    return where(equal(t, 0.0), low, mixed)


def _check(q, method, what):
    if isinstance(q, KerasTensor):
        raise ValueError(f"{what} needs q as a Python or numpy value (it fixes the positions).")
    qs = np.asarray(q, np.float64)
    if qs.ndim > 1 or ((qs < 0) | (qs > 1)).any():
        raise ValueError(f"q must be a scalar or 1-D, with values in [0, 1]. Received: q={q}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}. Received: method={method!r}")
    return qs


def _flattened(x, axis):
    """``x`` as floats with the reduced axes moved last and flattened, and those axes."""
    x = to_float(x)
    spec = _spec_of(x)
    axes = shapes.normalize_axes(axis, spec.ndim)
    kept = [a for a in range(spec.ndim) if a not in axes]
    sizes = [spec.shape[a] for a in axes]
    if 0 in sizes:
        raise ValueError(
            f"Cannot take quantiles over an empty axis. Received: x.shape={spec.shape}, axis={axis}"
        )
    # A static length, not -1: Reshape cannot infer -1 beside a zero-length kept dim
    last = int(np.prod(sizes)) if None not in sizes else -1
    flat = reshape(transpose(x, kept + list(axes)), [None] * len(kept) + [last])
    return flat, axes, len(kept)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1], a scalar or 1-D) of ``x`` along ``axis``.

    A 1-D ``q`` puts the quantiles on a new first axis, as numpy does. With static lengths on
    the reduced axes the positions are constants; otherwise (a batch axis among them) they are
    computed in the graph from the length.
    """
    qs = _check(q, method, "quantile")
    flat, axes, kept = _flattened(x, axis)
    n = _spec_of(flat).shape[-1]
    if n is None:
        return _counted(flat, qs, axes, method, keepdims, kept, ignore_nan=False)
    ordered = sort(flat, axis=-1)
    lo, hi, frac = _positions(qs.reshape(-1), n, method)
    low = gather_static(ordered, lo, kept)
    out = low
    if (frac != 0).any():
        high = gather_static(ordered, hi, kept)
        out = lerp(low, high, frac.astype(_spec_of(flat).dtype))
    from kgraph.ops.predicates import isnan
    from kgraph.ops.reductions import any as any_

    out = where(any_(isnan(flat), axis=-1, keepdims=True), np.nan, out)  # a NaN wins, as in Keras
    return _shape_result(out, qs, axes, keepdims, kept)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """:func:`quantile` over the non-NaN elements (NaN where a slice has none).

    NaNs are sorted last as +inf; each slice's positions come from its own count of values,
    computed in the graph.
    """
    qs = _check(q, method, "nanquantile")
    flat, axes, kept = _flattened(x, axis)
    return _counted(flat, qs, axes, method, keepdims, kept, ignore_nan=True)


def _counted(flat, qs, axes, method, keepdims, kept, ignore_nan):
    """Quantiles of ``flat`` along its last axis, with the positions computed in the graph
    from each slice's count (of non-NaN values with ``ignore_nan``)."""
    from kgraph.ops import numpy as knp
    from kgraph.ops.numpy import cast, ceil, floor, minimum, where
    from kgraph.ops.predicates import isnan
    from kgraph.ops.sorting import take_along_axis

    dtype = _spec_of(flat).dtype
    valid = knp.logical_not(isnan(flat)) if ignore_nan else bool_like(flat, True)
    ordered = sort(where(valid, flat, np.inf) if ignore_nan else flat, axis=-1)
    count = knp.sum(cast(valid, dtype), axis=-1, keepdims=True)
    pos = multiply(subtract(count, 1.0), qs.reshape(-1).astype(dtype))
    lo = floor(pos)
    hi = ceil(pos) if method == "midpoint" else minimum(lo + 1.0, subtract(count, 1.0))
    frac = subtract(pos, lo)
    if method in ("lower", "higher", "nearest"):
        pick = {"lower": lo, "higher": ceil(pos), "nearest": _round_even(pos)}
        lo = hi = pick[method]
    index = [cast(where(v < 0, 0.0, v), "int32") for v in (lo, hi)]
    low, high = (take_along_axis(ordered, i, axis=-1) for i in index)
    out = low
    if method in ("linear", "midpoint"):
        weight = 0.5 if method == "midpoint" else frac
        out = where(hi > lo, lerp(low, high, weight), low)
    if ignore_nan:
        out = where(count < 1.0, np.nan, out)
    return _shape_result(out, qs, axes, keepdims, kept)


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
