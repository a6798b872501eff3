"""Counting ops: bincount, histogram, unique, nonzero, unravel_index.

``unique`` (without ``size``) and ``nonzero`` have outputs whose length depends on the values:
they run eagerly (ONNX ``Unique`` and ``NonZero`` through onnxruntime) and raise one clear
error inside a model, where kgraph's graphs need lengths ahead of the data. ``unique`` with
``size`` has a static length and works in models too. ``bincount`` takes its length from the
data eagerly and from ``minlength`` inside a model.
"""

from __future__ import annotations

import builtins

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops import shapes
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.creation import full_like
from kgraph.ops.math_ops import dtype_of, to_float
from kgraph.ops.numpy import cast
from kgraph.tensor import KerasTensor


def _eager_only(name, *tensors, hint=""):
    if builtins.any(isinstance(t, KerasTensor) for t in tensors):
        raise ValueError(
            f"{name} cannot run inside a model: its output length depends on the values, and "
            f"kgraph's ONNX graphs need static lengths.{hint}"
        )


def _bincount_lower(b, x, w, *, length):
    last = b.constant(np.asarray([-1], np.int64))
    match = b.op("Equal", [b.op("Unsqueeze", [x, last]), b.constant(np.arange(length))])
    hot = b.op("Cast", [match], {"to": w.dtype})  # values outside [0, length) match nothing
    weighted = b.op("Mul", [hot, b.op("Unsqueeze", [w, last])])
    axis = b.constant(np.asarray([len(x.shape) - 1], np.int64))
    return b.op("ReduceSum", [weighted, axis], {"keepdims": 0})


_bincount = Op(
    "bincount",
    lambda x, w, *, length: Spec((*x.shape[:-1], length), w.dtype),
    _bincount_lower,
    promote=False,
)


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or sums of ``weights``) of each non-negative int of ``x`` (per row when 2-D).

    Eagerly the length is ``max(minlength, max(x) + 1)``; inside a model it is ``minlength``,
    which must then be given (values from ``minlength`` on are not counted).
    """
    if sparse:
        raise ValueError("bincount(sparse=True) is not supported: kgraph has no sparse tensors.")
    if isinstance(x, KerasTensor) or isinstance(weights, KerasTensor):
        if not minlength:
            _eager_only("bincount without minlength", x, weights, hint=" Pass minlength.")
        length = int(minlength)
    else:
        top = int(np.max(np.asarray(x))) + 1 if np.size(x) else 0
        length = builtins.max(int(minlength), top)
    if weights is not None and tuple(_spec_of(weights).shape) != tuple(_spec_of(x).shape):
        raise ValueError(
            "weights must have the shape of x. "
            f"Received: x.shape={_spec_of(x).shape}, weights.shape={_spec_of(weights).shape}"
        )
    if weights is None:
        weights = knp.add(knp.multiply(cast(x, "int32"), 0), 1)
    if _spec_of(weights).dtype in ("bool", "weak"):
        weights = cast(weights, "int32")
    return apply(_bincount, [cast(x, "int64"), weights], length=length)


def histogram(x, bins=10, range=None):  # noqa: A002  (Keras' argument name)
    """Counts of the 1-D ``x`` in ``bins`` equal bins over ``range`` (its min and max when
    None), and the ``bins + 1`` edges; the last bin includes its right edge."""
    if _spec_of(x).ndim != 1:
        raise ValueError(
            f"Input tensor must be 1-dimensional. Received: input.shape={_spec_of(x).shape}"
        )
    x = to_float(x)
    if range is None:
        lo, hi = knp.min(x), knp.max(x)
    else:  # tensors that depend on x, so the edges are a tensor inside a model too
        lo, hi = (knp.min(full_like(x, float(v))) for v in range)
    width = knp.subtract(hi, lo)
    width = knp.where(knp.equal(width, 0.0), 1.0, width)
    steps = np.linspace(0.0, 1.0, int(bins) + 1).astype("float32")
    edges = knp.add(knp.multiply(width, steps), lo)
    position = knp.floor(knp.multiply(knp.divide(knp.subtract(x, lo), width), float(bins)))
    index = knp.minimum(cast(position, "int32"), int(bins) - 1)
    inside = knp.multiply(
        cast(knp.greater_equal(x, lo), "float32"), cast(knp.less_equal(x, hi), "float32")
    )
    from kgraph.ops.array import expand_dims, one_hot

    counts = knp.sum(knp.multiply(one_hot(index, int(bins)), expand_dims(inside, -1)), axis=0)
    return counts, edges


# -- data-dependent lengths ----------------------------------------------------------------------


def _unique_infer(x, *, size, fill_value, axis):
    n = (size,) if size is not None else (None,)
    if axis is None:
        return Spec(n, x.dtype), Spec(n, "int32"), Spec(x.shape, "int32"), Spec(n, "int32")
    values = tuple(None if i == axis else d for i, d in enumerate(x.shape))
    inverse = Spec((x.shape[axis],), "int32")
    return Spec(values, x.dtype), Spec(n, "int32"), inverse, Spec(n, "int32")


_UNIQUE_NATIVE = ("float32", "int64", "int8")  # onnxruntime's Unique kernels


def _unique_lower(b, x, *, size, fill_value, axis):
    flat = x if axis is not None else b.op("Reshape", [x, b.constant(np.asarray([-1], np.int64))])
    dtype = dtype_of(x)
    if dtype not in _UNIQUE_NATIVE:
        flat = b.op("Cast", [flat], {"to": 1 if dtype.startswith("float") else 7})
    attrs = {"sorted": 1, "axis": axis}
    values, first, inverse, counts = b.op("Unique", [flat], attrs, num_outputs=4)
    if dtype not in _UNIQUE_NATIVE:
        values = b.op("Cast", [values], {"to": x.dtype})
    if axis is None:
        inverse = b.op("Reshape", [inverse, b.op("Shape", [x])])
    outs = [values, first, inverse, counts]
    if size is not None:
        fills = [fill_value, 0, None, 0]
        for i, fill in enumerate(fills):
            if fill is None:
                continue
            outs[i] = _fit(b, outs[i], size, fill, dtype_of(x) if i == 0 else "int64")
    return (outs[0], *(b.op("Cast", [v], {"to": 6}) for v in outs[1:]))


def _fit(b, v, size, fill, dtype):
    """1-D ``v`` padded at the end with ``fill`` up to ``size``, or cut to ``size``."""
    zero, target = b.constant(np.zeros(1, np.int64)), b.constant(np.asarray([size], np.int64))
    missing = b.op("Max", [b.op("Sub", [target, b.op("Shape", [v])]), zero])
    pads = b.op("Concat", [zero, missing], {"axis": 0})
    padded = b.op("Pad", [v, pads, b.constant(np.asarray(fill, dtype))])
    return b.op("Slice", [padded, zero, target])


_unique = Op("unique", _unique_infer, _unique_lower, promote=False)


def unique(
    x,
    sorted=True,  # noqa: A002  (Keras' argument name)
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """The sorted unique values of the flattened ``x`` (or its unique slices along ``axis``;
    ONNX ``Unique``), with the optional first indices, inverse indices (shaped like ``x``, or
    along ``axis``) and counts. The values are sorted also with ``sorted=False``.

    Without ``size`` the length depends on the values, so it runs eagerly only. With ``size``
    (flattened form only) the values are padded with ``fill_value`` (the smallest value when
    None) or cut to ``size``, which works inside a model too.
    """
    if axis is not None:
        axis = shapes.normalize_axis(axis, _spec_of(x).ndim)
        if size is not None:
            raise ValueError(f"unique takes size with axis=None only. Received: axis={axis}")
    if size is None:
        _eager_only("unique without size", x, hint=" Pass size (and fill_value).")
    if size is not None and fill_value is None:
        fill_value = knp.min(x) if isinstance(x, KerasTensor) else np.min(np.asarray(x))
        if isinstance(fill_value, KerasTensor):
            raise ValueError("unique(size=...) inside a model needs an explicit fill_value.")
    fill = None if fill_value is None else np.asarray(fill_value).item()
    values, first, inverse, counts = apply(
        _unique, [x], size=None if size is None else int(size), fill_value=fill, axis=axis
    )
    flags = ((first, return_index), (inverse, return_inverse), (counts, return_counts))
    extras = [v for v, keep in flags if keep]
    return (values, *extras) if extras else values


def _nonzero_lower(b, x):
    hits = b.op("NonZero", [x])
    rank = len(x.shape)
    rows = b.op("Split", [hits], {"axis": 0, "num_outputs": rank}, num_outputs=rank)
    rows = rows if isinstance(rows, tuple) else (rows,)
    axis0 = b.constant(np.asarray([0], np.int64))
    return tuple(b.op("Cast", [b.op("Squeeze", [r, axis0])], {"to": 6}) for r in rows)


_nonzero = Op(
    "nonzero",
    lambda x: tuple(Spec((None,), "int32") for _ in x.shape),
    _nonzero_lower,
    promote=False,
)


def nonzero(x):
    """Indices of the nonzero elements, one int32 tensor per axis (ONNX ``NonZero``; eager
    only, since the count depends on the values)."""
    _eager_only("nonzero", x)
    if _spec_of(x).ndim == 0:
        raise ValueError("nonzero needs at least 1 dimension. Received: a scalar")
    out = apply(_nonzero, [x])
    return out if isinstance(out, tuple) else (out,)


def unravel_index(indices, shape):
    """The coordinates in an array of ``shape`` of flat ``indices`` (a tuple of int32 tensors)."""
    shape = [int(d) for d in shape]
    strides = np.cumprod([1, *shape[::-1]])[:-1][::-1]
    from kgraph.ops.binary_ops import floor_divide, mod

    indices = cast(indices, "int32")
    return tuple(mod(floor_divide(indices, int(s)), d) for s, d in zip(strides, shape))
