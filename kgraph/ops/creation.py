"""Tensor-creation ops: ones, zeros, full (and their ``_like`` forms), arange, linspace, eye, tri.

Creation from a static shape lowers to ``Expand`` of a scalar, so inside a trace it folds to a
constant; the ``_like`` forms expand to ``Shape(x)`` and so follow a dynamic batch axis.
"""

from __future__ import annotations

import math

import numpy as np

from kgraph import dtypes
from kgraph.ops import dynamic_shapes
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import cast, scalar
from kgraph.tensor import KerasTensor


def _shape_tuple(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError(f"shape must not have negative dims. Received: shape={shape}")
    return shape


def _fill_lower(b, *, shape, value, dtype):
    return b.op("Expand", [scalar(b, value, dtype), b.constant(np.asarray(shape, np.int64))])


_full = Op("full", lambda *, shape, value, dtype: Spec(shape, dtype), _fill_lower, promote=False)


def _fill_dtype(fill_value, dtype) -> str:
    if dtype is not None:
        return dtypes.standardize(dtype)
    spec = _spec_of(fill_value)
    if spec.dtype == "weak":
        return dtypes.FLOATX  # Keras: a Python scalar fill gives floatx
    return spec.dtype


def _full_dynamic_lower(b, shape, *, dims, value, dtype):
    return b.op("Expand", [scalar(b, value, dtype), shape])


_full_dynamic = Op(
    "full_dynamic",
    lambda shape, *, dims, value, dtype: Spec(dims, dtype),
    _full_dynamic_lower,
    promote=False,
)


def full(shape, fill_value, dtype=None):
    """A tensor of ``shape`` filled with the scalar ``fill_value`` (floatx unless ``dtype``).
    ``shape`` may hold run-time sizes (0-d tensors from ``ops.shape``)."""
    dtype = _fill_dtype(fill_value, dtype)
    value = np.asarray(fill_value).item()
    if dynamic_shapes.is_dynamic(shape):
        dims = dynamic_shapes.static_dims(shape)
        if any(d is not None and d < 0 for d in dims):
            raise ValueError(f"shape must not have negative dims. Received: shape={shape}")
        vector = dynamic_shapes.shape_vector(shape)
        return apply(_full_dynamic, [vector], dims=dims, value=value, dtype=dtype)
    return apply(_full, [], shape=_shape_tuple(shape), value=value, dtype=dtype)


def ones(shape, dtype=None):
    """A tensor of ``shape`` filled with ones."""
    return full(shape, 1, dtype)


def zeros(shape, dtype=None):
    """A tensor of ``shape`` filled with zeros."""
    return full(shape, 0, dtype)


def _full_like_lower(b, x, *, value, dtype):
    return b.op("Expand", [scalar(b, value, dtype), b.op("Shape", [x])])


_full_like = Op(
    "full_like",
    lambda x, *, value, dtype: Spec(x.shape, dtype),
    _full_like_lower,
    promote=False,
)


def full_like(x, fill_value, dtype=None):
    """A tensor shaped like ``x`` filled with ``fill_value`` (of ``x``'s dtype unless given)."""
    spec = _spec_of(x)
    dtype = dtypes.standardize(dtype) if dtype is not None else spec.dtype
    if dtype == "weak":
        dtype = dtypes.of_python(x)
    value = np.asarray(fill_value).item()
    return apply(_full_like, [x], value=value, dtype=dtype)


def ones_like(x, dtype=None):
    """Ones shaped like ``x``."""
    return full_like(x, 1, dtype)


def zeros_like(x, dtype=None):
    """Zeros shaped like ``x``."""
    return full_like(x, 0, dtype)


def _arange_lower(b, *, start, stop, step, dtype):
    return b.op("Range", [scalar(b, v, dtype) for v in (start, stop, step)])


def _arange_infer(*, start, stop, step, dtype):
    return Spec((max(math.ceil((stop - start) / step), 0),), dtype)


_arange = Op("arange", _arange_infer, _arange_lower, promote=False)


def arange(start, stop=None, step=None, dtype=None):
    """Values ``start, start + step, ...`` below ``stop`` (ONNX ``Range``).

    int32 when all bounds are ints, else floatx, unless ``dtype`` is given.
    """
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if any(isinstance(v, KerasTensor) for v in (start, stop, step)):
        return _arange_dynamic(start, stop, step, dtype)
    if step == 0:
        raise ValueError(f"step must not be zero. Received: step={step}")
    if dtype is None:
        bounds = (start, stop, step)
        is_int = all(isinstance(v, (int, np.integer)) for v in bounds)
        dtype = "int32" if is_int else dtypes.FLOATX
    dtype = dtypes.standardize(dtype)
    return apply(_arange, [], start=start, stop=stop, step=step, dtype=dtype)


_arange_runtime = Op(
    "arange_dynamic",
    lambda start, stop, step, *, dtype: Spec((None,), dtype),
    lambda b, start, stop, step, *, dtype: b.op("Range", [start, stop, step]),
    promote=False,
)


def _arange_dynamic(start, stop, step, dtype):
    """``arange`` with a bound known only at run time (a size from ``ops.shape``)."""
    from kgraph.ops.numpy import cast as cast_op

    bounds = (start, stop, step)
    if dtype is None:
        is_int = all(
            "int" in v.dtype if isinstance(v, KerasTensor) else isinstance(v, (int, np.integer))
            for v in bounds
        )
        dtype = "int32" if is_int else dtypes.FLOATX
    dtype = dtypes.standardize(dtype)
    values = [
        cast_op(v, dtype) if isinstance(v, KerasTensor) else np.asarray(v, dtype) for v in bounds
    ]
    return apply(_arange_runtime, values, dtype=dtype)


def _linspace_lower(b, *, start, stop, num, endpoint, dtype):
    steps = num - 1 if endpoint else num
    delta = (stop - start) / steps if steps > 0 else 0.0
    index = b.op(
        "Range",
        [scalar(b, 0.0, "float64"), scalar(b, float(num), "float64"), scalar(b, 1.0, "float64")],
    )
    out = b.op(
        "Add",
        [b.op("Mul", [index, scalar(b, delta, "float64")]), scalar(b, float(start), "float64")],
    )
    if endpoint and num > 1:  # the last value is exactly ``stop``, as in numpy
        mask = b.op("Equal", [index, scalar(b, float(num - 1), "float64")])
        out = b.op("Where", [mask, scalar(b, float(stop), "float64"), out])
    return cast(b, out, dtype)


_linspace = Op(
    "linspace",
    lambda *, num, dtype, **_: Spec((num,), dtype),
    _linspace_lower,
    promote=False,
)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (scalar bounds only; computed in
    float64, then cast to ``dtype``, floatx by default)."""
    if np.ndim(start) or np.ndim(stop):
        raise ValueError(
            f"linspace takes scalar start and stop. Received: start={start}, stop={stop}"
        )
    if int(num) < 0:
        raise ValueError(f"num must be >= 0. Received: num={num}")
    if axis not in (0, -1):
        raise ValueError(f"axis must be 0 for scalar bounds. Received: axis={axis}")
    dtype = dtypes.standardize(dtype) if dtype is not None else dtypes.FLOATX
    start, stop, num = float(start), float(stop), int(num)
    out = apply(
        _linspace, [], start=start, stop=stop, num=num, endpoint=bool(endpoint), dtype=dtype
    )
    if retstep:
        steps = num - 1 if endpoint else num
        return out, ((stop - start) / steps if steps > 0 else float("nan"))
    return out


def _eye_lower(b, *, n, m, k, dtype):
    base = b.op("Expand", [scalar(b, 0.0, "float32"), b.constant(np.asarray([n, m], np.int64))])
    return cast(b, b.op("EyeLike", [base], {"k": k}), dtype)


_eye = Op("eye", lambda *, n, m, k, dtype: Spec((n, m), dtype), _eye_lower, promote=False)


def eye(N, M=None, k=0, dtype=None):
    """An ``N x M`` matrix with ones on the ``k``-th diagonal (ONNX ``EyeLike``)."""
    n, m = int(N), int(N if M is None else M)
    dtype = dtypes.standardize(dtype) if dtype is not None else dtypes.FLOATX
    return apply(_eye, [], n=n, m=m, k=int(k), dtype=dtype)


def identity(n, dtype=None):
    """The ``n x n`` identity matrix."""
    return eye(n, dtype=dtype)


def _tri_lower(b, *, n, m, k, dtype):
    base = b.op("Expand", [scalar(b, 1.0, "float32"), b.constant(np.asarray([n, m], np.int64))])
    lower = b.op("Trilu", [base, b.constant(np.asarray(k, np.int64))], {"upper": 0})
    return cast(b, lower, dtype)


_tri = Op("tri", lambda *, n, m, k, dtype: Spec((n, m), dtype), _tri_lower, promote=False)


def tri(N, M=None, k=0, dtype=None):
    """An ``N x M`` matrix with ones at and below the ``k``-th diagonal (ONNX ``Trilu``)."""
    n, m = int(N), int(N if M is None else M)
    dtype = dtypes.standardize(dtype) if dtype is not None else dtypes.FLOATX
    return apply(_tri, [], n=n, m=m, k=int(k), dtype=dtype)
