"""Basic indexing (``x[1:3, ..., None]``) and ``slice``: ONNX Slice plus Squeeze/Unsqueeze.

``get_item`` turns a key into a static plan in Python, where the input's shape is known: which
axes a single ``Slice`` node cuts (with exact bounds wherever the dim is known), which integer-
indexed axes a ``Squeeze`` then drops, and where an ``Unsqueeze`` inserts the ``None`` axes.
Only basic indexing is supported (integers, slices, ``None``, ``Ellipsis``): tensor, array, list
and boolean indices raise a ``ValueError`` that names the index.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from kgraph.ops import dynamic_shapes
from kgraph.ops.array import stack
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import axes_input, cast
from kgraph.tensor import KerasTensor

_END = 2**63 - 1  # ONNX Slice bound past the last element (clamped to the dim)
_BEFORE_START = -(2**63 - 1)  # with a negative step: past the first element


def _integer(k) -> int | None:
    """``k`` as a Python int when it is an integer scalar (not a bool), else None."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        return None
    return operator.index(k)


def _describe(k) -> str:
    """A one-line name of an index for error messages."""
    if hasattr(k, "shape") and hasattr(k, "dtype"):
        return f"{type(k).__name__} of shape {tuple(k.shape)} and dtype {k.dtype}"
    text = repr(k)
    return text if "\n" not in text and len(text) <= 80 else f"{text.splitlines()[0][:77]}..."


def _unsupported(k, key) -> ValueError:
    return ValueError(
        f"Unsupported index {_describe(k)} in {_describe(key)}: only integers, slices, None "
        "(newaxis) and Ellipsis are supported (no tensor, array, list or boolean indices)."
    )


def _normalize_key(key) -> tuple:
    """The key as a tuple of ints, slices (with int or None fields), None and Ellipsis."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    for k in items:
        if k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, builtins.slice):
            fields = (k.start, k.stop, k.step)
            ints = [None if f is None else _integer(f) for f in fields]
            if any(i is None and f is not None for i, f in zip(ints, fields)):
                raise _unsupported(k, key)
            if ints[2] == 0:
                raise ValueError(f"Slice step cannot be zero in {_describe(key)}.")
            out.append(builtins.slice(*ints))
        elif _integer(k) is not None:
            out.append(_integer(k))
        else:
            raise _unsupported(k, key)
    if out.count(Ellipsis) > 1:
        raise ValueError(f"An index can only have a single ellipsis. Received: {_describe(key)}")
    return tuple(out)


def _slice_bounds(k: builtins.slice, dim):
    """``(start, end, step, length)`` for ONNX Slice; exact when ``dim`` is known."""
    step = 1 if k.step is None else k.step
    if dim is None:
        start = k.start if k.start is not None else (0 if step > 0 else _END)
        end = k.stop if k.stop is not None else (_END if step > 0 else _BEFORE_START)
        return start, end, step, None
    picked = range(*k.indices(dim))
    if not picked:
        return 0, 0, 1, 0
    end = picked[-1] + (1 if step > 0 else -1)
    return picked[0], end if end >= 0 else _BEFORE_START, step, len(picked)


def _plan(shape: tuple, key) -> dict:
    """The nodes that compute ``x[key]`` for ``x`` of ``shape``, and the output shape."""
    items = _normalize_key(key)
    consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
    if consumed > len(shape):
        raise ValueError(
            f"Too many indices for a tensor of shape {shape}: {consumed} were given in "
            f"{_describe(key)}."
        )
    if Ellipsis not in items:
        items = (*items, Ellipsis)
    axis, out = 0, []
    slices, squeeze, unsqueeze = [], [], []
    for k in items:
        if k is None:
            unsqueeze.append(len(out))
            out.append(1)
        elif k is Ellipsis:
            rest = len(shape) - consumed
            out.extend(shape[axis : axis + rest])
            axis += rest
        elif isinstance(k, int):
            dim = shape[axis]
            if dim is not None and not -dim <= k < dim:
                raise ValueError(
                    f"Index {k} is out of bounds for axis {axis} of size {dim} "
                    f"(tensor shape {shape})."
                )
            if dim is not None:
                k %= dim
            slices.append((axis, k, _END if k == -1 else k + 1, 1))
            squeeze.append(axis)
            axis += 1
        else:
            dim = shape[axis]
            start, end, step, length = _slice_bounds(k, dim)
            if not (start == 0 and step == 1 and end in (_END, dim)):
                slices.append((axis, start, end, step))
            out.append(length)
            axis += 1
    return {
        "slices": tuple(slices),
        "squeeze": tuple(squeeze),
        "unsqueeze": tuple(unsqueeze),
        "shape": tuple(out),
    }


def _get_item_lower(b, x, *, slices, squeeze, unsqueeze, shape):
    y = x
    if slices:
        columns = [np.asarray(c, np.int64) for c in zip(*slices)]
        axes, starts, ends, steps = (b.constant(c) for c in columns)
        y = b.op("Slice", [y, starts, ends, axes, steps])
    if squeeze:
        y = b.op("Squeeze", [y, axes_input(b, squeeze)])
    if unsqueeze:
        y = b.op("Unsqueeze", [y, axes_input(b, unsqueeze)])
    return y if y is not x else b.op("Identity", [x])


_get_item = Op(
    "get_item",
    lambda x, *, shape, **_: Spec(shape, x.dtype),
    _get_item_lower,
    promote=False,
)


def get_item(x, key):
    """``x[key]`` with basic indexing: integers (negative ones count from the end), slices
    with any non-zero step, ``None`` (a new axis) and ``Ellipsis``.

    An unknown dim (the batch axis) is sliced by ONNX ``Slice``'s clamping rules, which are
    numpy's except for a negative-step slice whose start lies before the first element. Slice
    bounds may be run-time sizes (``x[:, :n]`` with ``n`` from ``ops.shape``).
    """
    cuts, key = dynamic_shapes.split_runtime_slices(_spec_of(x).ndim, key)
    if cuts:  # slices bounded by run-time sizes first, then the static rest of the key
        x = dynamic_shapes.cut(x, cuts)
    return apply(_get_item, [x], **_plan(tuple(_spec_of(x).shape), key))


# -- slice ---------------------------------------------------------------------------------------


def _slice_infer(x, *starts, shape, **_):
    return Spec(shape, x.dtype)


def _slice_lower(b, x, *dynamic, starts, sizes, clamp, shape):
    if not sizes:  # a scalar
        return b.op("Identity", [x])
    if not clamp:
        ends = [_END if z == -1 else s + z for s, z in zip(starts, sizes)]
        bounds = [b.constant(np.asarray(v, np.int64)) for v in (starts, ends)]
        return b.op("Slice", [x, *bounds])
    # Like jax.lax.dynamic_slice: a negative start counts from the end, then every start is
    # clamped so that the slice fits in the input.
    int64 = np.int64
    start = cast(b, dynamic[0], "int64") if dynamic else b.constant(np.asarray(starts, int64))
    dims = b.op("Shape", [x])
    zero = b.constant(np.zeros(len(sizes), int64))
    start = b.op("Where", [b.op("Less", [start, zero]), b.op("Add", [start, dims]), start])
    fixed = b.constant(np.asarray([max(z, 0) for z in sizes], int64))
    start = b.op("Max", [b.op("Min", [start, b.op("Sub", [dims, fixed])]), zero])
    end = b.op("Add", [start, fixed])
    if -1 in sizes:
        end = b.op("Where", [b.constant(np.asarray(sizes) == -1), dims, end])
    return b.op("Slice", [x, start, end])


_slice = Op("slice", _slice_infer, _slice_lower, promote=False)


def slice(inputs, start_indices, shape):  # noqa: A001
    """The block of ``inputs`` of ``shape`` whose first element is at ``start_indices``.

    ``shape`` holds one size per axis, ``-1`` meaning "up to the end" (as does the input's own
    run-time size, ``ops.shape(inputs)[i]``). ``start_indices`` (one
    per axis) may be a tensor, or a list mixing Python ints and scalar tensors. As in Keras'
    JAX backend, a negative start counts from the end and starts are then clamped so the
    block fits; where the static shape shows that a block cannot fit, a ValueError is raised.
    """
    spec = _spec_of(inputs)
    shape = dynamic_shapes.keep_own_dims(inputs, tuple(shape))  # ops.shape(inputs)[i]: all
    if any(isinstance(z, KerasTensor) for z in shape):
        raise ValueError(
            "slice sizes must be ints, or the input's own sizes from ops.shape (a block's shape "
            f"fixes the output's). Received: shape={shape}"
        )
    sizes = tuple(-1 if z is None else int(z) for z in shape)
    rank = spec.ndim
    if len(sizes) != rank or any(z < -1 for z in sizes):
        raise ValueError(
            f"shape must hold one size (>= 0, or -1 for the rest) per axis of the input of shape "
            f"{spec.shape}. Received: shape={tuple(shape)}"
        )
    for axis, (dim, z) in enumerate(zip(spec.shape, sizes)):
        if dim is not None and z > dim:
            raise ValueError(
                f"Cannot slice {z} elements from axis {axis} of size {dim} "
                f"(input shape {spec.shape})."
            )
    if isinstance(start_indices, (list, tuple)) and any(
        isinstance(s, KerasTensor) for s in start_indices
    ):
        start_indices = stack(
            [np.int64(s) if _integer(s) is not None else s for s in start_indices]
        )
    if isinstance(start_indices, KerasTensor):
        starts = _spec_of(start_indices)
        if starts.shape not in ((rank,), (None,)) or not starts.dtype.startswith(("int", "uint")):
            raise ValueError(
                f"start_indices must be integers of shape ({rank},). Received: a tensor of "
                f"shape {starts.shape} and dtype {starts.dtype}"
            )
        out = tuple(None if z == -1 else z for z in sizes)
        attrs = {"starts": None, "sizes": sizes, "clamp": True, "shape": out}
        return apply(_slice, [inputs, start_indices], **attrs)
    starts = [int(s) for s in np.asarray(start_indices).reshape(-1)]
    if len(starts) != rank:
        raise ValueError(
            f"start_indices must hold one index per axis of the input of shape {spec.shape}. "
            f"Received: start_indices={start_indices}"
        )
    clamp = False
    out = []
    for axis, (dim, s, z) in enumerate(zip(spec.shape, starts, sizes)):
        if dim is None:
            clamp = clamp or (s, z) != (0, -1)
            out.append(None if z == -1 else z)
            continue
        s = s + dim if s < 0 else s
        s = min(max(s, 0), dim - max(z, 0))
        starts[axis] = s
        out.append(dim - s if z == -1 else z)
    attrs = {"starts": tuple(starts), "sizes": sizes, "clamp": clamp, "shape": tuple(out)}
    return apply(_slice, [inputs], **attrs)
