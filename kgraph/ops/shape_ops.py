"""Shape ops: tile, flip/fliplr/flipud/rot90/roll, swapaxes/moveaxis, ravel, append and the
stacks, meshgrid, ndim/size, and ``gather_static`` (a ``Gather`` at constant indices).

Flips are ``Slice`` with step -1 and rolls two ``Slice`` plus a ``Concat``, so both
differentiate through existing rules; ``roll`` needs static lengths on the rolled axes.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import dynamic_shapes, shapes
from kgraph.ops.array import concatenate, expand_dims, reshape, transpose
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.layout_ops import broadcast_to
from kgraph.ops.split_ops import slice_axis
from kgraph.tensor import KerasTensor

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


# -- tile and repeat ------------------------------------------------------------------------------


def _tile_infer(x, *, repeats):
    return Spec(tuple(None if d is None else d * r for d, r in zip(x.shape, repeats)), x.dtype)


_tile = Op("tile", _tile_infer, lambda b, x, *, repeats: b.op("Tile", [x, _ints(b, repeats)]))


def _lead_axes(x, count: int):
    """``x`` with ``count`` new length-1 leading axes (numpy's tile with more repeats than
    axes). An Unsqueeze: a reshape to ``(1, *x.shape)`` misplaced several unknown dims."""
    return expand_dims(x, tuple(range(count)))


def _tile_dynamic_infer(x, repeats, *, counts):
    dims = (None if d is None or r is None else d * r for d, r in zip(x.shape, counts))
    return Spec(tuple(dims), x.dtype)


_tile_dynamic = Op(
    "tile_dynamic",
    _tile_dynamic_infer,
    lambda b, x, repeats, *, counts: b.op("Tile", [x, repeats]),
    promote=False,
)


def tile(x, repeats):
    """Repeats the whole of ``x`` ``repeats[i]`` times along each axis (ONNX ``Tile``);
    ``repeats`` may hold run-time sizes (0-d tensors) or be a 1-D tensor."""
    if isinstance(repeats, KerasTensor) and repeats.ndim == 0:
        repeats = [repeats]
    if dynamic_shapes.is_dynamic(repeats):
        counts = dynamic_shapes.static_dims(repeats)
        vector = dynamic_shapes.shape_vector(repeats)
        rank = _spec_of(x).ndim
        if len(counts) > rank:
            x = _lead_axes(x, len(counts) - rank)
        elif len(counts) < rank:
            vector = concatenate([np.ones(rank - len(counts), np.int64), vector])
            counts = (1,) * (rank - len(counts)) + counts
        return apply(_tile_dynamic, [x, vector], counts=counts)
    repeats = [int(repeats)] if np.ndim(repeats) == 0 else [int(r) for r in repeats]
    rank = _spec_of(x).ndim
    if len(repeats) > rank:
        x = _lead_axes(x, len(repeats) - rank)
        rank = len(repeats)
    repeats = [1] * (rank - len(repeats)) + repeats
    return apply(_tile, [x], repeats=tuple(repeats))


def _gather_infer(x, *, index, axis):
    shape = list(x.shape)
    shape[axis] = len(index)
    return Spec(tuple(shape), x.dtype)


def _gather_lower(b, x, *, index, axis):
    return b.op("Gather", [x, _ints(b, index)], {"axis": axis})


_gather_static = Op("gather_static", _gather_infer, _gather_lower, promote=False)


def gather_static(x, index, axis):
    """``x`` gathered along ``axis`` at the constant ``index`` (a sequence of ints)."""
    return apply(_gather_static, [x], index=tuple(int(i) for i in index), axis=axis)


# -- reordering -------------------------------------------------------------------------------


def _flip_lower(b, x, *, axes):
    n = len(axes)
    starts, ends = _ints(b, [-1] * n), _ints(b, [-_BIG] * n)
    return b.op("Slice", [x, starts, ends, _ints(b, axes), _ints(b, [-1] * n)])


_flip = Op("flip", lambda x, *, axes: x, _flip_lower, promote=False)


def flip(x, axis=None):
    """Reverses the order of elements along ``axis`` (all axes when None)."""
    axes = shapes.normalize_axes(axis, _spec_of(x).ndim)
    return apply(_flip, [x], axes=axes) if axes else x


def fliplr(x):
    """Reverses axis 1."""
    return flip(x, 1)


def flipud(x):
    """Reverses axis 0."""
    return flip(x, 0)


def swapaxes(x, axis1, axis2):
    """Exchanges two axes."""
    rank = _spec_of(x).ndim
    perm = list(range(rank))
    a, c = shapes.normalize_axis(axis1, rank), shapes.normalize_axis(axis2, rank)
    perm[a], perm[c] = perm[c], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    """Moves axes ``source`` to positions ``destination``, the others keeping their order."""
    rank = _spec_of(x).ndim
    source = [source] if np.ndim(source) == 0 else list(source)
    destination = [destination] if np.ndim(destination) == 0 else list(destination)
    if len(source) != len(destination):
        raise ValueError(
            "source and destination must have the same number of axes. "
            f"Received: source={source}, destination={destination}"
        )
    source = [shapes.normalize_axis(a, rank) for a in source]
    destination = [shapes.normalize_axis(a, rank) for a in destination]
    rest = [a for a in range(rank) if a not in source]
    perm = [None] * rank
    for s, d in zip(source, destination):
        perm[d] = s
    it = iter(rest)
    return transpose(x, [p if p is not None else next(it) for p in perm])


def rot90(array, k=1, axes=(0, 1)):
    """Rotates by 90 degrees ``k`` times in the plane of ``axes`` (from the first toward the
    second axis)."""
    rank = _spec_of(array).ndim
    if rank < 2:
        raise ValueError(
            f"Input array must have at least 2 dimensions. Received: array.ndim={rank}"
        )
    a0, a1 = (shapes.normalize_axis(a, rank) for a in axes)
    if a0 == a1:
        raise ValueError(f"axes must be different. Received: axes={axes}")
    k = int(k) % 4
    if k == 0:
        return array
    if k == 2:
        return flip(array, (a0, a1))
    if k == 1:
        return swapaxes(flip(array, a1), a0, a1)
    return flip(swapaxes(array, a0, a1), a1)


def roll(x, shift, axis=None):
    """Rolls elements along ``axis`` (the flattened ``x`` when None); static lengths only."""
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), _spec_of(x).shape)
    shifts = [shift] if np.ndim(shift) == 0 else list(shift)
    axes = [axis] if np.ndim(axis) == 0 else list(axis)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    for s, a in zip(shifts, axes):
        a = shapes.normalize_axis(a, _spec_of(x).ndim)
        n = _static(x, a, "roll")
        s = int(s) % n if n else 0
        if s:
            x = concatenate([slice_axis(x, n - s, None, a), slice_axis(x, 0, n - s, a)], axis=a)
    return x


# -- broadcasting, flattening, joining ------------------------------------------------------------


def ravel(x):
    """``x`` flattened to 1-D."""
    return reshape(x, (-1,))


def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when None)."""
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


def _at_least(x, rank):
    shape = _spec_of(x).shape
    if len(shape) >= rank:
        return x
    if rank == 2:
        return reshape(x, (1, *shape) if shape else (1, 1))
    if len(shape) == 2:  # atleast_3d: (m, n) -> (m, n, 1)
        return expand_dims(x, -1)
    return reshape(x, (1, *(shape or (1,)), 1))


def hstack(xs):
    """Joins along axis 1 (axis 0 for 1-D tensors)."""
    xs = list(xs)
    return concatenate(xs, axis=0 if _spec_of(xs[0]).ndim == 1 else 1)


def vstack(xs):
    """Joins along axis 0, 1-D tensors taken as rows."""
    return concatenate([_at_least(x, 2) for x in xs], axis=0)


def dstack(xs):
    """Joins along axis 2 (depth), lower-rank tensors expanded to 3-D first."""
    return concatenate([_at_least(x, 3) for x in xs], axis=2)


def _meshgrid_axis(x, i, n, shape):
    view = [1] * n
    view[i] = -1
    return broadcast_to(reshape(x, view), shape)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids of 1-D tensors (``indexing``: 'xy' Cartesian, 'ij' matrix)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij'. Received: indexing={indexing!r}")
    sizes = [_static(v, 0, "meshgrid") for v in x]
    order = list(range(len(x)))
    if indexing == "xy" and len(x) >= 2:
        order[0], order[1] = 1, 0
    shape = tuple(sizes[j] for j in order)
    return [_meshgrid_axis(v, order.index(i), len(x), shape) for i, v in enumerate(x)]


def ndim(x):
    """The number of axes of ``x``."""
    return _spec_of(x).ndim


def size(x):
    """The number of elements of ``x``: an int, or where a dim is known at run time only, a 0-d
    int32 tensor of the run-time count inside a layer's call or a traced graph (a metric's
    ``ops.size(y_true)``), None while a functional model is defined."""
    shape = _spec_of(x).shape
    if None not in shape:
        return int(np.prod(shape, dtype=np.int64))
    if not dynamic_shapes.runtime_dims(x):
        return None
    count = 1
    for d in dynamic_shapes.shape_of(x):
        count = d * count
    return count
