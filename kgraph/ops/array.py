"""Array-manipulation ops: reshape, transpose, concatenate, stack, expand_dims, squeeze, one_hot."""

from __future__ import annotations

import numpy as np

from kgraph.ops import dynamic_shapes, shapes
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import axes_input, cast, scalar


def _reshape_lower(b, x, *, newshape):
    target = [0 if d is None else d for d in newshape]
    return b.op("Reshape", [x, b.constant(np.asarray(target, np.int64))])


_reshape = Op(
    "reshape",
    lambda x, *, newshape: Spec(shapes.reshaped(x.shape, newshape), x.dtype),
    _reshape_lower,
    promote=False,
)


def _reshape_dynamic_infer(x, shape, *, newshape):
    known = [d for d in newshape if d is not None and d != -1]
    total = None if None in x.shape else int(np.prod(x.shape))
    dims = list(newshape)
    if -1 in dims:
        free = None not in dims and total is not None and int(np.prod(known)) > 0
        dims[dims.index(-1)] = total // int(np.prod(known)) if free else None
    return Spec(tuple(dims), x.dtype)


_reshape_dynamic = Op(
    "reshape_dynamic",
    _reshape_dynamic_infer,
    lambda b, x, shape, *, newshape: b.op("Reshape", [x, shape]),
    promote=False,
)


def reshape(x, newshape):
    """Reshapes ``x``; one ``-1`` is inferred. ``None`` keeps the input's dim at that axis,
    except a lone ``None`` beside no ``-1`` where keeping that dim cannot fit: it is inferred
    as ``-1`` is. Entries may be 0-d tensors (sizes from ``ops.shape``), or ``newshape`` a
    1-D tensor."""
    newshape = dynamic_shapes.keep_own_dims(x, newshape)
    if dynamic_shapes.is_dynamic(newshape):
        dims = dynamic_shapes.static_dims(newshape)
        vector = dynamic_shapes.shape_vector(newshape)
        return apply(_reshape_dynamic, [x, vector], newshape=dims)
    if isinstance(newshape, int):
        newshape = (newshape,)
    newshape = tuple(newshape)
    lone = newshape.count(None) == 1 and -1 not in newshape
    if lone and not _keeps_input_dim(_spec_of(x).shape, newshape, newshape.index(None)):
        newshape = tuple(-1 if d is None else d for d in newshape)
    return apply(_reshape, [x], newshape=newshape)


def _keeps_input_dim(shape, newshape, axis) -> bool:
    """Whether keeping the input's unknown dim at ``axis`` fits the other (known) sizes."""
    if axis >= len(shape) or shape[axis] is not None:
        return False
    others = [d for i, d in enumerate(shape) if i != axis]
    if None in others:
        return True  # nothing to check: as before
    return int(np.prod(others)) == int(np.prod([d for d in newshape if d is not None]))


def _transpose_infer(x, *, axes):
    return Spec(tuple(x.shape[a] for a in axes), x.dtype)


_transpose = Op(
    "transpose",
    _transpose_infer,
    lambda b, x, *, axes: b.op("Transpose", [x], {"perm": list(axes)}),
    promote=False,
)


def transpose(x, axes=None):
    """Permutes the axes of ``x`` (reverses them when ``axes`` is None)."""
    rank = _spec_of(x).ndim
    axes = (
        tuple(reversed(range(rank)))
        if axes is None
        else tuple(shapes.normalize_axis(a, rank) for a in axes)
    )
    if sorted(axes) != list(range(rank)):
        raise ValueError(f"axes must be a permutation of 0..{rank - 1}. Received: axes={axes}")
    return apply(_transpose, [x], axes=axes)


def _concat_infer(*xs, axis):
    first = xs[0]
    for x in xs[1:]:
        if x.ndim != first.ndim or any(
            a is not None and c is not None and a != c
            for i, (a, c) in enumerate(zip(first.shape, x.shape))
            if i != axis
        ):
            shown = ", ".join(str(s.shape) for s in xs)
            raise ValueError(
                f"Cannot concatenate shapes {shown} along axis {axis}: "
                "all other dimensions must match."
            )
    sizes = [x.shape[axis] for x in xs]
    total = None if None in sizes else int(np.sum(sizes))
    shape = list(first.shape)
    shape[axis] = total
    for i in range(len(shape)):
        if shape[i] is None and i != axis:
            shape[i] = next((x.shape[i] for x in xs if x.shape[i] is not None), None)
    return Spec(tuple(shape), first.dtype)


_concatenate = Op(
    "concatenate", _concat_infer, lambda b, *xs, axis: b.op("Concat", list(xs), {"axis": axis})
)


def concatenate(xs, axis=0):
    """Joins tensors along an existing ``axis``."""
    xs = list(xs)
    axis = shapes.normalize_axis(axis, _spec_of(xs[0]).ndim)
    return apply(_concatenate, xs, axis=axis)


def _expand_infer(x, *, axes):
    shape = list(x.shape)
    for axis in axes:  # sorted: each insertion leaves the later positions right
        shape.insert(axis, 1)
    return Spec(tuple(shape), x.dtype)


_expand_dims = Op(
    "expand_dims",
    _expand_infer,
    lambda b, x, *, axes: b.op("Unsqueeze", [x, axes_input(b, axes)]),
    promote=False,
)


def expand_dims(x, axis):
    """Inserts length-1 axes at ``axis`` (an int, or a tuple/list of positions in the output)."""
    many = isinstance(axis, (tuple, list))
    count = len(axis) if many else 1
    axes = shapes.normalize_axes(axis, _spec_of(x).ndim + count)
    if len(set(axes)) != len(axes):
        raise ValueError(f"Repeated axis in expand_dims. Received: axis={axis}")
    return apply(_expand_dims, [x], axes=axes)


def _squeeze_infer(x, *, axes):
    for a in axes:
        if x.shape[a] not in (1, None):
            raise ValueError(f"Cannot squeeze axis {a} of shape {x.shape}: its size is not 1.")
    return Spec(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)


_squeeze = Op(
    "squeeze",
    _squeeze_infer,
    lambda b, x, *, axes: b.op("Squeeze", [x, axes_input(b, axes)]),
    promote=False,
)


def squeeze(x, axis=None):
    """Removes length-1 axes (all of them when ``axis`` is None)."""
    spec = _spec_of(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(spec.shape) if d == 1)
    else:
        axes = shapes.normalize_axes(axis, spec.ndim)
    return apply(_squeeze, [x], axes=axes)


def stack(x, axis=0):
    """Joins the tensors ``x`` along a new ``axis``."""
    xs = list(x)
    axis = shapes.normalize_axis(axis, _spec_of(xs[0]).ndim + 1)
    return concatenate([expand_dims(t, axis) for t in xs], axis=axis)


def _one_hot_infer(x, *, num_classes, axis, dtype):
    shape = list(x.shape)
    shape.insert(axis, num_classes)
    return Spec(tuple(shape), dtype)


def _one_hot_lower(b, x, *, num_classes, axis, dtype):
    depth = scalar(b, num_classes, "int64")
    index = cast(b, x, "int64")
    # ONNX counts negative indices from the end; Keras (like TF and JAX) gives all zeros: move
    # them out of range. ORT's OneHot has no int32 output kernel: encode in float32, then cast.
    index = b.op("Where", [b.op("Less", [index, scalar(b, 0, "int64")]), depth, index])
    values = b.constant(np.asarray([0, 1], dtype="float32"))
    out = b.op("OneHot", [index, depth, values], {"axis": axis})
    return out if dtype == "float32" else cast(b, out, dtype)


_one_hot = Op("one_hot", _one_hot_infer, _one_hot_lower, promote=False)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot encodes integer ``x`` into ``num_classes`` along a new ``axis`` (floatx by
    default; kgraph has no sparse tensors)."""
    from kgraph import dtypes

    if sparse:
        raise ValueError("kgraph has no sparse tensors. Received: sparse=True")

    rank = _spec_of(x).ndim
    axis = shapes.normalize_axis(axis, rank + 1)
    return apply(
        _one_hot, [x], num_classes=int(num_classes), axis=axis, dtype=dtypes.standardize(dtype)
    )


def shape(x):
    """The shape of ``x`` as a tuple. A dim unknown at trace time is a 0-d int32 tensor inside
    a layer's call or a traced graph (its run-time size), ``None`` while a functional model is
    defined (see :mod:`kgraph.ops.dynamic_shapes`)."""
    if dynamic_shapes.runtime_dims(x):
        return dynamic_shapes.shape_of(x)
    return tuple(_spec_of(x).shape)
