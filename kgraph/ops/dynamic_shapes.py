"""Sizes known only at run time.

Inside a layer's ``call`` (and in any traced graph), ``ops.shape`` gives a dim that is unknown
at trace time (the batch, a free sequence length) as a 0-d int32 tensor, as Keras' TensorFlow
backend does, so the layer can compute with it: a causal mask tiled to the batch, zeros of
``(batch, units)``, a reshape to ``(batch, -1, heads, depth)``. Outside layers, while a
functional model is defined, such a dim stays ``None`` (Keras' symbolic shapes).

Shape arguments of the creation, reshape, tile, broadcast and random ops accept these tensors
(alone, or in a list beside Python ints): :func:`static_dims` is what shape inference can know
(``None`` where a tensor stands) and :func:`shape_vector` the run-time int64 shape.
"""

from __future__ import annotations

import numpy as np

from kgraph import trace
from kgraph.ops.core import Op, Spec, apply
from kgraph.ops.lowering import cast
from kgraph.tensor import KerasTensor


def _dim_lower(b, x, *, axis):
    # Shape then a Gather at a scalar index: a 0-d size at every opset (Shape's start/end
    # attributes and Squeeze's axes input are newer than the oldest opset kgraph writes).
    size = b.op("Gather", [b.op("Shape", [x]), b.constant(np.asarray(axis, np.int64))])
    return cast(b, size, "int32")  # Keras' dtype for sizes


_dim = Op("dim", lambda x, *, axis: Spec((), "int32"), _dim_lower, promote=False)


def runtime_dims(x) -> bool:
    """Whether ``ops.shape(x)`` gives its unknown dims as tensors: ``x`` is traced, or is
    symbolic inside a layer's call (where the layer's code computes with its sizes)."""
    if not isinstance(x, KerasTensor) or None not in x.shape:
        return False
    return x._value is not None or trace.in_layer_call()


def shape_of(x) -> tuple:
    """``x``'s shape with each unknown dim as a 0-d int32 tensor (see the module docstring)."""
    dims = []
    for axis, d in enumerate(x.shape):
        if d is None:
            d = apply(_dim, [x], axis=axis)
            d.dim_source = (x, axis)
        dims.append(d)
    return tuple(dims)


def keep_own_dims(x, shape):
    """``shape`` with each size that ``ops.shape`` read from ``x`` at the same axis as None:
    ``ops.reshape`` keeps the input's dim there, and shape inference can then tell that
    ``(batch, -1)`` of ``(None, 3, 5)`` is ``(None, 15)``."""
    if not isinstance(shape, (list, tuple)):
        return shape
    return type(shape)(
        None
        if isinstance(d, KerasTensor)
        and d.dim_source is not None
        and d.dim_source[0] is x
        and d.dim_source[1] == axis
        else d
        for axis, d in enumerate(shape)
    )


def is_dynamic(shape) -> bool:
    """Whether ``shape`` (a shape argument) holds a tensor: a 1-D shape tensor, or 0-d ones
    among its entries."""
    if isinstance(shape, KerasTensor):
        return True
    return isinstance(shape, (list, tuple)) and any(isinstance(d, KerasTensor) for d in shape)


def _entries(shape) -> list:
    if isinstance(shape, KerasTensor):
        if shape.ndim != 1 or shape.shape[0] is None:
            raise ValueError(
                "A shape given as a tensor must be 1-D with a static length. "
                f"Received: shape={shape}"
            )
        return [None] * shape.shape[0]
    return list(shape)


def static_dims(shape) -> tuple:
    """What shape inference knows of a dynamic ``shape``: its ints, ``None`` where a tensor
    (or ``None``) stands."""
    dims = []
    for d in _entries(shape):
        if isinstance(d, KerasTensor):
            if d.ndim != 0:
                raise ValueError(f"Each entry of a shape must be a scalar. Received: {d}")
            dims.append(None)
        else:
            dims.append(None if d is None else int(d))
    return tuple(dims)


def shape_vector(shape, none_as: int = 0):
    """The run-time value of a dynamic ``shape``: a 1-D int64 tensor (``None`` entries read as
    ``none_as``; ``ops.reshape`` keeps the input's dim for 0)."""
    from kgraph.ops.array import concatenate, reshape
    from kgraph.ops.numpy import cast as cast_op

    if isinstance(shape, KerasTensor):
        _entries(shape)
        return cast_op(shape, "int64")
    parts = []
    for d in shape:
        if isinstance(d, KerasTensor):
            static_dims([d])
            parts.append(reshape(cast_op(d, "int64"), (1,)))
        else:
            parts.append(np.asarray([none_as if d is None else int(d)], np.int64))
    return concatenate(parts, axis=0)


def as_tensor_list(values):
    """A list or tuple of tensors and numbers (``[batch, 1, 1]`` with a run-time size) stacked
    into one tensor, as ``ops.convert_to_tensor`` makes it; None when ``values`` holds no
    tensor."""
    if not isinstance(values, (list, tuple)) or not any(isinstance(v, KerasTensor) for v in values):
        return None
    from kgraph.ops.array import stack
    from kgraph.ops.numpy import convert_to_tensor

    return stack([convert_to_tensor(v) for v in values], axis=0)


def _has_runtime_bound(k) -> bool:
    return isinstance(k, slice) and any(isinstance(f, KerasTensor) for f in (k.start, k.stop))


def split_runtime_slices(rank: int, key):
    """``(cuts, key)``: the slices of ``key`` bounded by run-time sizes (``x[:, :n]`` with ``n``
    from ``ops.shape``) as ``(axis, start, stop, step)``, and ``key`` with those slices made
    whole. ``cuts`` is empty when no bound is a tensor."""
    items = key if isinstance(key, tuple) else (key,)
    if not any(_has_runtime_bound(k) for k in items):
        return [], key
    consumed = sum(1 for k in items if k is not None and k is not Ellipsis)
    axis, cuts, rest = 0, [], []
    for k in items:
        if k is Ellipsis:
            axis += rank - consumed
        elif k is not None:
            if _has_runtime_bound(k):
                cuts.append((axis, k.start, k.stop, 1 if k.step is None else int(k.step)))
                k = slice(None)
            axis += 1
        rest.append(k)
    return cuts, tuple(rest)


def _slice_runtime_lower(b, x, starts, ends, *, axes, steps):
    axes_value = b.constant(np.asarray(axes, np.int64))
    return b.op("Slice", [x, starts, ends, axes_value, b.constant(np.asarray(steps, np.int64))])


def _slice_runtime_infer(x, starts, ends, *, axes, steps):
    return Spec(tuple(None if i in axes else d for i, d in enumerate(x.shape)), x.dtype)


_slice_runtime = Op("slice_runtime", _slice_runtime_infer, _slice_runtime_lower, promote=False)

_END = 2**63 - 1  # a Slice bound past the last element


def cut(x, cuts):
    """``x`` sliced on each axis of ``cuts`` (see :func:`split_runtime_slices`) by one ONNX
    Slice whose bounds are computed at run time."""
    starts, ends = [], []
    for _, start, stop, step in cuts:
        starts.append((0 if step > 0 else -1) if start is None else start)
        ends.append((_END if step > 0 else -_END) if stop is None else stop)
    axes = tuple(c[0] for c in cuts)
    steps = tuple(c[3] for c in cuts)
    bounds = [shape_vector(v) for v in (starts, ends)]
    return apply(_slice_runtime, [x, *bounds], axes=axes, steps=steps)
