"""Array ops that move or duplicate values: pad, take, broadcast_to, repeat.

Each lowers to one ONNX node with a gradient rule (``Pad`` in constant mode, ``Gather``,
``Expand``) or to a short chain of them, so layers built on these ops train.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import dynamic_shapes, shapes
from kgraph.ops.array import reshape
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import cast, scalar

_PAD_MODES = {"constant": "constant", "reflect": "reflect", "symmetric": None, "edge": "edge"}


def _pad_infer(x, *, pads, mode, value):
    return Spec(
        tuple(None if d is None else d + a + b for d, (a, b) in zip(x.shape, pads)), x.dtype
    )


def _pad_lower(b, x, *, pads, mode, value):
    flat = [a for a, _ in pads] + [e for _, e in pads]
    inputs = [x, b.constant(np.asarray(flat, np.int64))]
    if mode == "constant":
        inputs.append(scalar(b, value, x.dtype.numpy().name))
    return b.op("Pad", inputs, {"mode": mode})


_pad = Op("pad", _pad_infer, _pad_lower, promote=False)


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads ``x``: ``pad_width`` is one ``(before, after)`` pair per axis (or one pair, or one
    int, for all axes). Modes 'constant', 'reflect' and 'edge' (ONNX has no 'symmetric'); only
    'constant' padding has a gradient."""
    spec = _spec_of(x)
    width = np.asarray(pad_width, dtype=np.int64)
    if width.ndim == 0:
        width = np.full((spec.ndim, 2), int(width))
    elif width.shape == (2,) or width.shape == (1, 2):
        width = np.tile(width.reshape(1, 2), (spec.ndim, 1))
    if width.shape != (spec.ndim, 2) or (width < 0).any():
        raise ValueError(
            f"pad_width must be one (before, after) pair of non-negative ints per axis of the "
            f"input of rank {spec.ndim}. Received: pad_width={pad_width}"
        )
    if _PAD_MODES.get(mode) is None:
        raise ValueError(
            "kgraph's pad supports mode='constant', 'reflect' or 'edge' (ONNX Pad has no "
            f"'symmetric'). Received: mode={mode}"
        )
    if constant_values is not None and mode != "constant":
        raise ValueError(
            "Argument `constant_values` can only be provided when `mode == 'constant'`. "
            f"Received: mode={mode}"
        )
    value = 0 if constant_values is None else constant_values
    return apply(
        _pad, [x], pads=tuple(tuple(int(v) for v in p) for p in width), mode=mode, value=value
    )


def _take_infer(x, indices, *, axis):
    return Spec((*x.shape[:axis], *indices.shape, *x.shape[axis + 1 :]), x.dtype)


def _take_lower(b, x, indices, *, axis):
    return b.op("Gather", [x, cast(b, indices, "int64")], {"axis": axis})


_take = Op("take", _take_infer, _take_lower, promote=False)


def take(x, indices, axis=None):
    """Values of ``x`` at integer ``indices`` along ``axis`` (of the flattened ``x`` when
    ``axis`` is None); negative indices count from the end."""
    spec = _spec_of(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    else:
        axis = shapes.normalize_axis(axis, spec.ndim)
    ind = _spec_of(indices)
    if not (ind.dtype.startswith("int") or ind.dtype.startswith("uint")):
        if isinstance(indices, (list, tuple, int)):
            indices = np.asarray(indices, np.int64)
        else:
            from kgraph.ops.numpy import cast as cast_op

            indices = cast_op(indices, "int64")
    return apply(_take, [x, indices], axis=axis)


def _broadcast_infer(x, *, shape):
    out = shapes.broadcast(x.shape, shape)
    if len(out) != len(shape) or any(
        s is not None and o is not None and s != o for s, o in zip(shape, out)
    ):
        raise ValueError(f"Cannot broadcast a tensor of shape {x.shape} to shape {shape}.")
    return Spec(out, x.dtype)


def _broadcast_lower(b, x, *, shape):
    # Expand broadcasts both ways: a 1 keeps the input's size where the target is unknown.
    target = [1 if d is None else d for d in shape]
    return b.op("Expand", [x, b.constant(np.asarray(target, np.int64))])


_broadcast_to = Op("broadcast_to", _broadcast_infer, _broadcast_lower, promote=False)


def _broadcast_dynamic_infer(x, target, *, shape):
    if len(shape) < x.ndim:
        raise ValueError(f"Cannot broadcast a tensor of shape {x.shape} to shape {shape}.")
    return Spec(tuple(shape), x.dtype)


_broadcast_dynamic = Op(
    "broadcast_to_dynamic",
    _broadcast_dynamic_infer,
    lambda b, x, target, *, shape: b.op("Expand", [x, target]),
    promote=False,
)


def broadcast_to(x, shape):
    """Broadcasts ``x`` to ``shape`` (numpy rules); a ``None`` entry keeps the input's size.
    ``shape`` may hold run-time sizes (0-d tensors from ``ops.shape``)."""
    if dynamic_shapes.is_dynamic(shape):
        dims = dynamic_shapes.static_dims(shape)
        target = dynamic_shapes.shape_vector(shape, none_as=1)
        return apply(_broadcast_dynamic, [x, target], shape=dims)
    shape = tuple(None if d is None else int(d) for d in shape)
    return apply(_broadcast_to, [x], shape=shape)


def _repeat_infer(x, *, axis, repeats):
    shape = list(x.shape)
    shape[axis] = None if shape[axis] is None else shape[axis] * repeats
    return Spec(tuple(shape), x.dtype)


def _repeat_lower(b, x, *, axis, repeats):
    # A new axis after ``axis`` broadcast to ``repeats``, merged back; the shapes come from
    # the input at run time, so any dim may be unknown.
    shape = b.op("Shape", [x])
    rank = len(x.shape)
    ones = np.ones(rank, np.int64)
    wide = b.op("Unsqueeze", [x, b.constant(np.asarray([axis + 1], np.int64))])
    target = np.insert(ones, axis + 1, repeats)
    wide = b.op("Expand", [wide, b.constant(target)])
    factor = ones.copy()
    factor[axis] = repeats
    return b.op("Reshape", [wide, b.op("Mul", [shape, b.constant(factor)])])


_repeat = Op("repeat", _repeat_infer, _repeat_lower, promote=False)


def repeat(x, repeats, axis=None):
    """Repeats each element ``repeats`` times (an int) along ``axis`` (over the flattened
    ``x`` when ``axis`` is None), as ``numpy.repeat``: a new axis broadcast, then merged
    (unknown dims are read at run time)."""
    if not isinstance(repeats, (int, np.integer)) or repeats < 0:
        raise ValueError(f"kgraph's repeat takes one int `repeats`. Received: repeats={repeats}")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = shapes.normalize_axis(axis, _spec_of(x).ndim)
    return apply(_repeat, [x], axis=axis, repeats=int(repeats))
