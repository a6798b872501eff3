"""Writes at indices: scatter, scatter_update, slice_update and the segment reductions.

All lower to ONNX ``ScatterND``: ``scatter`` and ``segment_sum`` add into zeros (duplicates
accumulate, as in Keras), ``scatter_update`` and ``slice_update`` overwrite, ``segment_max``
and ``segment_min`` reduce into the dtype's lowest or highest value (what JAX leaves in empty
segments) and ``segment_prod`` multiplies into ones. ``slice_update`` writes its block
through a constant grid of positions plus the start indices, which may be tensors.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.math_ops import dtype_of
from kgraph.ops.numpy import cast
from kgraph.tensor import KerasTensor


def _int64(b, v):
    return v if dtype_of(v) == "int64" else b.op("Cast", [v], {"to": 7})


def _filled(b, shape, value, dtype):
    return b.op(
        "Expand",
        [b.constant(np.asarray(value, dtype)), b.constant(np.asarray(shape, np.int64))],
    )


def _scatter_lower(b, indices, values, *, shape, reduction, init):
    base = _filled(b, shape, init, dtype_of(values))
    return b.op("ScatterND", [base, _int64(b, indices), values], {"reduction": reduction})


_scatter = Op(
    "scatter",
    lambda i, v, *, shape, **_: Spec(shape, v.dtype),
    _scatter_lower,
    promote=False,
)


def _check_indices(indices, rank, name):
    spec = _spec_of(indices)
    if spec.ndim < 1 or spec.shape[-1] is None or spec.shape[-1] > rank:
        raise ValueError(
            f"{name}: indices must end in an axis of at most {rank} coordinates. "
            f"Received: indices.shape={spec.shape}"
        )


def _as_indices(indices):
    if isinstance(indices, (list, tuple)):
        return np.asarray(indices, np.int32)
    return indices


def scatter(indices, values, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (``(..., k)`` coordinates)."""
    shape = tuple(int(d) for d in shape)
    indices = _as_indices(indices)
    _check_indices(indices, len(shape), "scatter")
    dtype = _spec_of(values).dtype
    values = cast(values, "float32") if dtype == "weak" else values
    return apply(_scatter, [indices, values], shape=shape, reduction="add", init=0)


def _like(b, updates, x):
    """``updates`` in ``x``'s element type (a float64 numpy constant enters a graph as float32,
    as in Keras on JAX, while ``x`` may be float64)."""
    if dtype_of(updates) == dtype_of(x):
        return updates
    return b.op("Cast", [updates], {"to": x.dtype})


def _update_lower(b, x, indices, updates, *, reduction):
    updates = _like(b, updates, x)
    return b.op("ScatterND", [x, _int64(b, indices), updates], {"reduction": reduction})


_scatter_update = Op("scatter_update", lambda x, i, u, **_: x, _update_lower, promote=False)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written at ``indices`` (``reduction``: None overwrites;
    'add', 'mul', 'max' or 'min' combine with the old value)."""
    choices = {None: "none", "add": "add", "mul": "mul", "max": "max", "min": "min"}
    if reduction not in choices:
        raise ValueError(
            f"reduction must be one of {list(choices)}. Received: reduction={reduction!r}"
        )
    indices = _as_indices(indices)
    _check_indices(indices, _spec_of(inputs).ndim, "scatter_update")
    updates = cast(updates, _spec_of(inputs).dtype)
    return apply(_scatter_update, [inputs, indices, updates], reduction=choices[reduction])


def _slice_update_lower(b, x, start, updates, *, block):
    grid = np.stack(np.meshgrid(*(np.arange(n) for n in block), indexing="ij"), axis=-1)
    positions = b.op("Add", [b.constant(grid.astype(np.int64)), _int64(b, start)])
    return b.op("ScatterND", [x, positions, _like(b, updates, x)])


_slice_update = Op("slice_update", lambda x, s, u, **_: x, _slice_update_lower, promote=False)


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block ``updates`` written from ``start_indices`` on (one start per
    axis; Python ints or a tensor). The block's shape must be static."""
    spec, uspec = _spec_of(inputs), _spec_of(updates)
    if uspec.ndim != spec.ndim or None in uspec.shape:
        raise ValueError(
            f"updates must have the rank of inputs and a static shape. Received: "
            f"inputs.shape={spec.shape}, updates.shape={uspec.shape}"
        )
    if isinstance(start_indices, (list, tuple)) and not any(
        isinstance(s, KerasTensor) for s in start_indices
    ):
        start = np.asarray([int(s) for s in start_indices], np.int64)
    elif isinstance(start_indices, (list, tuple)):
        from kgraph.ops.array import stack

        start = stack([cast(s, "int64") for s in start_indices])
    else:
        start = start_indices
    updates = cast(updates, spec.dtype)
    return apply(_slice_update, [inputs, start, updates], block=tuple(uspec.shape))


# -- segment reductions -------------------------------------------------------------------------


def _segment(data, segment_ids, num_segments, reduction, name):
    if num_segments is None:
        if isinstance(segment_ids, KerasTensor):
            raise ValueError(f"{name} on symbolic segment_ids needs num_segments (the length).")
        ids = np.asarray(segment_ids)
        num_segments = int(ids.max()) + 1 if ids.size else 0
    spec = _spec_of(data)
    dtype = spec.dtype if spec.dtype != "weak" else "float32"
    if reduction in ("add", "mul"):
        init = 0 if reduction == "add" else 1
    else:
        info = np.finfo(dtype) if dtype.startswith("float") else np.iinfo(dtype)
        init = info.min if reduction == "max" else info.max
        if dtype.startswith("float"):
            init = -np.inf if reduction == "max" else np.inf
    from kgraph.ops.array import expand_dims

    ids = expand_dims(cast(segment_ids, "int64"), -1)
    shape = (int(num_segments), *spec.shape[1:])
    if None in shape:
        raise ValueError(f"{name} needs static trailing dims. Received: data.shape={spec.shape}")
    return apply(_scatter, [ids, cast(data, dtype)], shape=shape, reduction=reduction, init=init)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sums of the rows of ``data`` per segment id (empty segments: 0)."""
    return _segment(data, segment_ids, num_segments, "add", "segment_sum")


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Maxima of the rows of ``data`` per segment id (empty segments: the dtype's lowest)."""
    return _segment(data, segment_ids, num_segments, "max", "segment_max")


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Minima of the rows of ``data`` per segment id (empty segments: the dtype's highest)."""
    return _segment(data, segment_ids, num_segments, "min", "segment_min")


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Products of the rows of ``data`` per segment id (empty segments: 1)."""
    return _segment(data, segment_ids, num_segments, "mul", "segment_prod")
