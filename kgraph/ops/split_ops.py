"""Splitting ops: split, array_split, hsplit/vsplit/dsplit, unstack, and ``slice_axis``.

An even split lowers to ONNX ``Split`` (``num_outputs``: a dynamic length works too); splits at
indices are one ``Slice`` per piece, so the last piece follows a dynamic length.
"""

from __future__ import annotations

import builtins
import itertools

import numpy as np

from kgraph.ops import shapes
from kgraph.ops.array import squeeze
from kgraph.ops.core import Op, Spec, _spec_of, apply

_BIG = 2**62  # a Slice bound past any dim


def _static(x, axis, what):
    n = _spec_of(x).shape[axis]
    if n is None:
        raise ValueError(
            f"{what} needs a static length along axis {axis}. Received: shape={_spec_of(x).shape}"
        )
    return n


def _ints(b, values):
    return b.constant(np.asarray(list(values), np.int64))


# -- splits ---------------------------------------------------------------------------------------


def _slice_infer(x, *, start, stop, axis):
    shape = list(x.shape)
    n = shape[axis]
    shape[axis] = len(range(*builtins.slice(start, stop).indices(n))) if n is not None else None
    return Spec(tuple(shape), x.dtype)


def _slice_lower(b, x, *, start, stop, axis):
    end = _BIG if stop is None else stop
    return b.op("Slice", [x, _ints(b, [start]), _ints(b, [end]), _ints(b, [axis])])


_slice_axis = Op("slice_axis", _slice_infer, _slice_lower, promote=False)


def slice_axis(x, start, stop, axis):
    """``x[start:stop]`` along ``axis`` (``stop`` None: to the end)."""
    return apply(
        _slice_axis, [x], start=int(start), stop=None if stop is None else int(stop), axis=axis
    )


def _split_infer(x, *, sections, axis):
    shape = list(x.shape)
    shape[axis] = None if shape[axis] is None else shape[axis] // sections
    return tuple(Spec(tuple(shape), x.dtype) for _ in range(sections))


def _split_lower(b, x, *, sections, axis):
    return b.op("Split", [x], {"axis": axis, "num_outputs": sections}, num_outputs=sections)


_split = Op("split", _split_infer, _split_lower, promote=False)


def split(x, indices_or_sections, axis=0):
    """Splits ``x`` along ``axis`` into equal sections (an int) or at the given indices."""
    axis = shapes.normalize_axis(axis, _spec_of(x).ndim)
    n = _spec_of(x).shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if n is not None and n % sections:
            raise ValueError(
                f"array split does not result in an equal division of {n} elements. "
                f"Received: indices_or_sections={sections}"
            )
        if sections == 1:
            return [x]
        return list(apply(_split, [x], sections=sections, axis=axis))
    bounds = [0, *(int(i) for i in indices_or_sections), None]
    return [slice_axis(x, lo, hi, axis) for lo, hi in itertools.pairwise(bounds)]


def array_split(x, indices_or_sections, axis=0):
    """Like :func:`split`, but sections may differ in size by one (the first ones larger)."""
    if np.ndim(indices_or_sections) != 0:
        return split(x, indices_or_sections, axis)
    axis = shapes.normalize_axis(axis, _spec_of(x).ndim)
    n, sections = _static(x, axis, "array_split"), int(indices_or_sections)
    sizes = [n // sections + (1 if i < n % sections else 0) for i in range(sections)]
    return split(x, np.cumsum(sizes)[:-1].tolist(), axis)


def hsplit(x, indices_or_sections):
    """Splits along axis 1 (axis 0 for 1-D ``x``)."""
    return split(x, indices_or_sections, 0 if _spec_of(x).ndim == 1 else 1)


def vsplit(x, indices_or_sections):
    """Splits along axis 0."""
    return split(x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    """Splits along axis 2."""
    return split(x, indices_or_sections, 2)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis``, as a list (the axis needs a static length)."""
    axis = shapes.normalize_axis(axis, _spec_of(x).ndim)
    n = _static(x, axis, "unstack") if num is None else int(num)
    return [squeeze(part, axis) for part in split(x, n, axis)]
