"""NaN-ignoring reductions: nansum, nanprod, nanmean, nanmax, nanmin, nanvar, nanstd.

NaNs are replaced by the reduction's neutral value (``where(isnan(x), ...)``) and the means
divide by the per-slice count of non-NaN values; a slice of NaNs only gives NaN for the
extrema, as numpy does.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops import reductions
from kgraph.ops.core import _spec_of
from kgraph.ops.math_ops import float_dtype, to_float
from kgraph.ops.numpy import cast, divide, multiply, prod, sqrt, subtract, where
from kgraph.ops.predicates import isnan
from kgraph.ops.reductions import nan_filled

# -- NaN-ignoring reductions ------------------------------------------------------------------


def nansum(x, axis=None, keepdims=False):
    """``sum`` with NaNs counted as 0."""
    return knp.sum(nan_filled(x, 0.0), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    """``prod`` with NaNs counted as 1."""
    return prod(nan_filled(x, 1.0), axis=axis, keepdims=keepdims)


def _count(x, axis, keepdims):
    valid = cast(_not_nan(x), _spec_of(x).dtype)
    return knp.sum(valid, axis=axis, keepdims=keepdims)


def _not_nan(x):
    from kgraph.ops.binary_ops import logical_not

    return logical_not(isnan(x))


def nanmean(x, axis=None, keepdims=False):
    """``mean`` over the non-NaN elements."""
    x = to_float(x)
    return divide(nansum(x, axis, keepdims), _count(x, axis, keepdims))


def _nan_extremum(reducer, fill):
    def fn(x, axis=None, keepdims=False):
        if float_dtype(x) is None:
            return reducer(x, axis=axis, keepdims=keepdims)
        out = reducer(nan_filled(x, fill), axis=axis, keepdims=keepdims)
        return where(reductions.all(isnan(x), axis=axis, keepdims=keepdims), np.nan, out)

    return fn


nanmax = _nan_extremum(knp.max, -np.inf)
nanmin = _nan_extremum(knp.min, np.inf)
nanmax.__name__, nanmin.__name__ = "nanmax", "nanmin"
nanmax.__doc__ = "``max`` ignoring NaNs (NaN where a slice is all NaN)."
nanmin.__doc__ = "``min`` ignoring NaNs (NaN where a slice is all NaN)."


def nanvar(x, axis=None, keepdims=False):
    """``var`` over the non-NaN elements."""
    x = to_float(x)
    centered = subtract(x, nanmean(x, axis=axis, keepdims=True))
    # Only x's own NaNs are skipped: inf - inf (an infinite slice) stays NaN, as in Keras
    missing = isnan(x)
    squares = knp.sum(where(missing, 0.0, multiply(centered, centered)), axis, keepdims)
    count = knp.sum(cast(knp.logical_not(missing), _spec_of(x).dtype), axis, keepdims)
    return divide(squares, count)


def nanstd(x, axis=None, keepdims=False):
    """``std`` over the non-NaN elements."""
    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))
