"""``kgraph.ops.linalg``: Keras' linear algebra, in-graph where ONNX or a composition allows.

In-graph (traced, differentiable): ``det`` (ONNX ``Det``, with a cofactor gradient rule),
``slogdet`` and ``logdet`` (from ``Det``: they overflow where ``det`` does), ``solve``, ``inv``
and ``solve_triangular`` (Gauss-Jordan elimination with partial pivoting, unrolled over the
static matrix size), ``cholesky`` and ``cholesky_inverse`` (unrolled Cholesky-Banachiewicz),
``norm`` (vector norms, Frobenius and the 1 / inf matrix norms). The unrolled ones cost
``O(n)`` to ``O(n^2)`` nodes: meant for the small matrices of models, not for large solvers.

Eager-only (numpy on concrete values; a traced tensor raises one clear error because ONNX has
no decomposition ops): ``qr``, ``svd``, ``eig``, ``eigh``, ``lu_factor``, ``lstsq``, ``pinv``,
``matrix_rank`` and the 2 / -2 / 'nuc' matrix norms (in ``kgraph.ops.linalg_eager``), and
``jvp`` (``kgraph.ops.linalg_jvp``, from reverse-mode passes).
"""

from __future__ import annotations

import numpy as np

from kgraph import dtypes
from kgraph import ops as _ops
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.linalg_eager import (
    eig,
    eigh,
    lstsq,
    lu_factor,
    matrix_rank,
    pinv,
    qr,
    spectral_norm,
    svd,
)
from kgraph.ops.linalg_jvp import jvp

__all__ = [
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "jvp",
    "logdet",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
]


def _float(x):
    return x if _spec_of(x).dtype.startswith("float") else _ops.cast(x, dtypes.FLOATX)


def _square_size(x, name: str) -> int:
    shape = _spec_of(x).shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name} expects square matrices (..., n, n). Received shape {shape}.")
    if shape[-1] is None:
        raise ValueError(f"{name} needs a static matrix size. Received shape {shape}.")
    return shape[-1]


_det = Op("det", lambda a: Spec(a.shape[:-2], a.dtype), lambda b, a: b.op("Det", [a]))


def det(x):
    """Determinant of the square matrices in the last two axes (ONNX ``Det``)."""
    x = _float(x)
    _square_size(x, "det")
    return apply(_det, [x])


def slogdet(x):
    """``(sign, log|det|)``, computed from ``det`` (so it overflows where ``det`` does, unlike
    an LU-based slogdet)."""
    d = det(x)
    return _ops.sign(d), _ops.log(_ops.abs(d))


def logdet(x):
    """``log(det(x))`` (NaN for a negative determinant, as in Keras)."""
    return _ops.log(det(x))


def _gauss_jordan(a, rhs):
    """Reduces ``[a | rhs]`` to ``[I | a^-1 rhs]``: at column ``k`` the row with the largest
    magnitude at or below ``k`` is swapped in (a reflection ``I - d d^T`` with ``d = e_p - e_k``),
    scaled to a unit pivot and subtracted from the other rows."""
    if _spec_of(a).ndim == 2:  # ONNX OneHot needs indices of rank >= 1: add a batch axis
        return _gauss_jordan(_ops.expand_dims(a, 0), _ops.expand_dims(rhs, 0))[0]
    n = _spec_of(a).shape[-1]
    dtype = _spec_of(a).dtype
    aug = _ops.concatenate([a, rhs], axis=-1)
    eye = np.eye(n, dtype=dtypes.to_numpy(dtype))
    rows = np.arange(n)
    for k in range(n):
        col = aug[..., :, k]
        p = _ops.argmax(_ops.where(rows >= k, _ops.abs(col), -1.0), axis=-1)
        d = _ops.subtract(_ops.one_hot(p, n, dtype=dtype), eye[k])
        swap = _ops.einsum("...i,...ij->...j", d, aug)
        aug = _ops.subtract(aug, _ops.multiply(_ops.expand_dims(d, -1), _ops.expand_dims(swap, -2)))
        r = _ops.divide(aug[..., k, :], aug[..., k, k : k + 1])
        f = _ops.subtract(aug[..., :, k], eye[k])
        aug = _ops.subtract(aug, _ops.multiply(_ops.expand_dims(f, -1), _ops.expand_dims(r, -2)))
    return aug[..., :, n:]


def solve(a, b):
    """``x`` with ``a @ x = b``; ``b`` is ``(..., n)`` or ``(..., n, k)`` (Gauss-Jordan with
    partial pivoting, unrolled over the static ``n``)."""
    a, b = _float(a), _float(b)
    dtype = dtypes.result_type(_spec_of(a).dtype, _spec_of(b).dtype)
    a, b = _ops.cast(a, dtype), _ops.cast(b, dtype)
    n = _square_size(a, "solve")
    sa, sb = _spec_of(a), _spec_of(b)
    vector = sb.ndim == sa.ndim - 1
    rhs = _ops.expand_dims(b, -1) if vector else b
    if _spec_of(rhs).shape[-2] not in (n, None):
        raise ValueError(f"solve: b of shape {sb.shape} does not match a of shape {sa.shape}.")
    # Batch axes broadcast by adding zeros shaped like the other operand's batch (works with a
    # dynamic batch too).
    a, rhs = (
        _ops.add(a, _ops.zeros_like(rhs[..., :1, :1])),
        _ops.add(rhs, _ops.zeros_like(a[..., :, :1])),
    )
    x = _gauss_jordan(a, rhs)
    return _ops.squeeze(x, -1) if vector else x


def inv(x):
    """Inverse of the square matrices in the last two axes (``solve(x, I)``)."""
    x = _float(x)
    n = _square_size(x, "inv")
    eye = np.eye(n, dtype=dtypes.to_numpy(_spec_of(x).dtype))
    return _gauss_jordan(x, _ops.add(_ops.zeros_like(x), eye))


def solve_triangular(a, b, lower=False):
    """``solve`` reading only the lower (``lower=True``) or upper triangle of ``a``."""
    a = _float(a)
    return solve(_ops.tril(a) if lower else _ops.triu(a), b)


def cholesky(x, upper=False):
    """Lower factor ``L`` with ``x = L L^T`` (``upper``: ``L^T``), read from the lower
    triangle; column by column, unrolled over the static size. A matrix that is not positive
    definite gives NaNs (Keras raises eagerly)."""
    x = _float(x)
    n = _square_size(x, "cholesky")
    cols = []
    for j in range(n):
        c = x[..., :, j]
        for k in range(j):
            c = _ops.subtract(c, _ops.multiply(cols[k], cols[k][..., j : j + 1]))
        below = (np.arange(n) >= j).astype(dtypes.to_numpy(_spec_of(x).dtype))
        cols.append(_ops.multiply(_ops.divide(c, _ops.sqrt(c[..., j : j + 1])), below))
    low = _ops.stack(cols, axis=-1)
    return _ops.swapaxes(low, -1, -2) if upper else low


def cholesky_inverse(x, upper=False):
    """``inv(A)`` of ``A = L L^T`` given its Cholesky factor ``L`` (``upper``: ``U = L^T``)."""
    x = _float(x)
    n = _square_size(x, "cholesky_inverse")
    eye = np.eye(n, dtype=dtypes.to_numpy(_spec_of(x).dtype))
    low = _ops.swapaxes(x, -1, -2) if upper else x
    inv_low = solve_triangular(low, _ops.add(_ops.zeros_like(low), eye), lower=True)
    return _ops.matmul(_ops.swapaxes(inv_low, -1, -2), inv_low)


def _vector_norm(x, order, axis, keepdims):
    ax = _ops.abs(x)
    if order is None or order == 2:
        return _ops.sqrt(_ops.sum(_ops.square(x), axis=axis, keepdims=keepdims))
    if order == float("inf"):
        return _ops.max(ax, axis=axis, keepdims=keepdims)
    if order == float("-inf"):
        return _ops.min(ax, axis=axis, keepdims=keepdims)
    if order == 0:
        nonzero = _ops.cast(_ops.not_equal(x, 0), _spec_of(x).dtype)
        return _ops.sum(nonzero, axis=axis, keepdims=keepdims)
    if isinstance(order, str):
        raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={order}")
    powered = _ops.sum(_ops.power(ax, float(order)), axis=axis, keepdims=keepdims)
    return _ops.power(powered, 1.0 / float(order))


def _matrix_norm(x, order, axis, keepdims):
    row, col = axis
    if order in (None, "fro"):
        return _ops.sqrt(_ops.sum(_ops.square(x), axis=axis, keepdims=keepdims))
    if order in (2, -2, "nuc"):
        return spectral_norm(x, order, axis, keepdims)
    if order in (1, -1):
        inner, outer = row, col
    elif order in (float("inf"), float("-inf")):
        inner, outer = col, row
    else:
        raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={order}")
    sums = _ops.sum(_ops.abs(x), axis=inner, keepdims=True)
    pick = _ops.max if order in (1, float("inf")) else _ops.min
    out = pick(sums, axis=outer, keepdims=True)
    return out if keepdims else _ops.squeeze(out, tuple(sorted((row, col))))


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002  (Keras' name)
    """numpy's ``linalg.norm``: a vector norm over one axis, a matrix norm over two, and over
    all axes the 2-norm of the flattened values (when ``ord`` is None)."""
    x = _float(x)
    ndim = _spec_of(x).ndim
    if axis is None:
        if ord is None:
            out = _ops.sqrt(_ops.sum(_ops.square(x)))
            return _ops.reshape(out, (1,) * ndim) if keepdims else out
        axis = tuple(range(ndim))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    axis = tuple(a % ndim for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ValueError(f"Improper number of dimensions to norm. Received: axis={axis}")
