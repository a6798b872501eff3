"""Matrix ops: tril/triu (ONNX ``Trilu``), diag/diagonal/diagflat/trace, the products built
on ``einsum`` (tensordot, dot, vdot, inner), outer, kron, cross and vander.

The diagonal ops gather at constant flat positions and so need static lengths on the two
matrix axes.
"""

from __future__ import annotations

import string

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops import shapes
from kgraph.ops.array import expand_dims, reshape, stack
from kgraph.ops.core import Op, _spec_of, apply
from kgraph.ops.einsum_ops import einsum
from kgraph.ops.lowering import scalar
from kgraph.ops.numpy import multiply, power, subtract
from kgraph.ops.shape_ops import gather_static, moveaxis, ravel

# -- triangles and diagonals ------------------------------------------------------------------


def _trilu(upper):
    def lower(b, x, *, k):
        return b.op("Trilu", [x, scalar(b, k, "int64")], {"upper": int(upper)})

    return Op("triu" if upper else "tril", lambda x, *, k: x, lower, promote=False)


_tril, _triu = _trilu(False), _trilu(True)


def tril(x, k=0):
    """``x`` with the elements above the ``k``-th diagonal zeroed (last two axes)."""
    return apply(_tril, [x], k=int(k))


def triu(x, k=0):
    """``x`` with the elements below the ``k``-th diagonal zeroed (last two axes)."""
    return apply(_triu, [x], k=int(k))


def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of the matrices in the plane of ``axis1`` and ``axis2``, as the
    last axis of the result (static lengths on those two axes)."""
    spec = _spec_of(x)
    if spec.ndim < 2:
        raise ValueError(f"diagonal needs at least 2 dimensions. Received: x.shape={spec.shape}")
    a1, a2 = (shapes.normalize_axis(a, spec.ndim) for a in (axis1, axis2))
    moved = moveaxis(x, [a1, a2], [-2, -1])
    n, m = _spec_of(moved).shape[-2:]
    if n is None or m is None:
        raise ValueError(
            f"diagonal needs static lengths on axes {a1} and {a2}. Received: {spec.shape}"
        )
    rows = np.arange(max(0, -offset), min(n, m - offset)) if offset < m else np.arange(0)
    lead = _spec_of(moved).shape[:-2]
    flat = reshape(moved, (*(-1 if d is None else d for d in lead), n * m))
    return gather_static(flat, rows * m + rows + offset, len(lead))


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum along the ``offset`` diagonal."""
    return knp.sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diag(x, k=0):
    """The ``k``-th diagonal of a matrix, or a matrix with 1-D ``x`` on its ``k``-th diagonal."""
    spec = _spec_of(x)
    if spec.ndim == 2:
        return diagonal(x, k)
    if spec.ndim != 1:
        raise ValueError(f"diag takes a 1-D or 2-D tensor. Received: x.shape={spec.shape}")
    from kgraph.ops.creation import eye
    from kgraph.ops.layout_ops import pad

    (length,) = spec.shape
    n = length + abs(k)
    row = pad(x, (k, 0) if k >= 0 else (0, -k))  # column j holds x[j - k] (k >= 0) or x[j]
    dtype = spec.dtype if spec.dtype != "weak" else "float32"
    return multiply(eye(n, n, k, dtype="int32" if dtype == "bool" else dtype), row)


def diagflat(x, k=0):
    """A matrix with the flattened ``x`` on its ``k``-th diagonal."""
    return diag(ravel(x), k)


# -- products (einsum from kgraph.ops.einsum_ops) -------------------------------------------


def _letters(n, skip=""):
    return [c for c in string.ascii_lowercase if c not in skip][:n]


def tensordot(x1, x2, axes=2):
    """Sums products over ``axes`` (an int: the last of ``x1`` with the first of ``x2``; or a
    pair of axis lists)."""
    r1, r2 = _spec_of(x1).ndim, _spec_of(x2).ndim
    if np.ndim(axes) == 0:
        a1, a2 = list(range(r1 - int(axes), r1)), list(range(int(axes)))
    else:
        a1, a2 = ([a] if np.ndim(a) == 0 else list(a) for a in axes)
    a1 = [shapes.normalize_axis(a, r1) for a in a1]
    a2 = [shapes.normalize_axis(a, r2) for a in a2]
    letters = _letters(r1 + r2)
    t1, t2 = letters[:r1], letters[r1:]
    for i, j in zip(a1, a2):
        t2[j] = t1[i]
    out = [c for i, c in enumerate(t1) if i not in a1] + [
        c for j, c in enumerate(t2) if j not in a2
    ]
    return einsum(f"{''.join(t1)},{''.join(t2)}->{''.join(out)}", x1, x2)


def dot(x1, x2):
    """numpy's ``dot``: products for scalars, the last axis of ``x1`` against the second-to-last
    of ``x2`` (the last one when 1-D) otherwise."""
    r1, r2 = _spec_of(x1).ndim, _spec_of(x2).ndim
    if r1 == 0 or r2 == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, ([-1], [-1 if r2 == 1 else -2]))


def vdot(x1, x2):
    """Dot product of the flattened tensors."""
    return dot(ravel(x1), ravel(x2))


def inner(x1, x2):
    """Sums products over the last axes of both tensors."""
    if _spec_of(x1).ndim == 0 or _spec_of(x2).ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, ([-1], [-1]))


def outer(x1, x2):
    """``x1[i] * x2[j]`` of the flattened tensors."""
    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def kron(x1, x2):
    """Kronecker product (static shapes)."""
    s1, s2 = _spec_of(x1).shape, _spec_of(x2).shape
    rank = max(len(s1), len(s2))
    s1, s2 = (1,) * (rank - len(s1)) + tuple(s1), (1,) * (rank - len(s2)) + tuple(s2)
    if None in s1 or None in s2:
        raise ValueError(f"kron needs static shapes. Received: {s1} and {s2}")
    a = reshape(x1, [d for n in s1 for d in (n, 1)])
    c = reshape(x2, [d for n in s2 for d in (1, n)])
    return reshape(multiply(a, c), [n * m for n, m in zip(s1, s2)])


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors: the z component) along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, c = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    na, nc = _spec_of(a).shape[-1], _spec_of(c).shape[-1]
    if na not in (2, 3) or nc not in (2, 3):
        raise ValueError(f"cross needs vectors of length 2 or 3. Received: {na} and {nc}")
    ax, ay, az = (a[..., i] if i < na else 0 for i in range(3))
    bx, by, bz = (c[..., i] if i < nc else 0 for i in range(3))
    z = subtract(multiply(ax, by), multiply(ay, bx))
    if na == 2 and nc == 2:
        return z
    x = subtract(multiply(ay, bz), multiply(az, by))
    y = subtract(multiply(az, bx), multiply(ax, bz))
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


def vander(x, N=None, increasing=False):
    """Columns of powers of the 1-D ``x`` (decreasing powers unless ``increasing``)."""
    spec = _spec_of(x)
    if spec.ndim != 1:
        raise ValueError(f"vander takes a 1-D tensor. Received: x.shape={spec.shape}")
    n = spec.shape[0] if N is None else int(N)
    exponents = np.arange(n) if increasing else np.arange(n)[::-1]
    dtype = spec.dtype if spec.dtype != "weak" else "float32"
    return power(expand_dims(x, 1), np.asarray(exponents, dtype))


def correlate(x1, x2, mode="valid"):
    """Cross-correlation of two 1-D tensors, ``c[k] = sum_n x1[n + k] * x2[n]`` (numpy's
    'valid', 'same' and 'full' modes; static lengths)."""
    from kgraph.ops.layout_ops import pad

    if mode not in ("valid", "same", "full"):
        raise ValueError(f"mode must be 'valid', 'same' or 'full'. Received: mode={mode!r}")
    s1, s2 = _spec_of(x1).shape, _spec_of(x2).shape
    if len(s1) != 1 or len(s2) != 1 or None in (*s1, *s2):
        raise ValueError(f"correlate takes two static 1-D tensors. Received: {s1} and {s2}")
    (m,), (n,) = s1, s2
    windows = np.arange(m + n - 1)[:, None] + np.arange(n)[None, :]
    padded = pad(x1, (n - 1, n - 1))
    full = tensordot(reshape(gather_static(padded, windows.reshape(-1), 0), (m + n - 1, n)), x2, 1)
    if mode == "full":
        return full
    if mode == "valid":
        start, length = min(m, n) - 1, abs(m - n) + 1
    else:
        start = (n - 1) // 2 if n <= m else m - 1 - (m - 1) // 2
        length = max(m, n)
    return gather_static(full, np.arange(start, start + length), 0)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x`` (variables) over its columns
    (a scalar for 1-D ``x``)."""
    from kgraph.ops.math_ops import to_float
    from kgraph.ops.numpy import divide, mean, sqrt

    x = to_float(x)
    single = _spec_of(x).ndim == 1
    if single:
        x = expand_dims(x, 0)
    centered = subtract(x, mean(x, axis=1, keepdims=True))
    cov = tensordot(centered, centered, ([1], [1]))
    scale = sqrt(diagonal(cov))
    out = divide(divide(cov, expand_dims(scale, 1)), expand_dims(scale, 0))
    return reshape(out, ()) if single else out  # numpy gives a scalar for one variable


def cdist(x, y):
    """Euclidean distances between the rows of ``x`` ``(..., m, d)`` and ``y`` ``(..., n, d)``,
    shaped ``(..., m, n)``."""
    from kgraph.ops.math_ops import to_float
    from kgraph.ops.numpy import sqrt

    sx, sy = _spec_of(x).shape, _spec_of(y).shape
    if len(sx) < 2 or len(sy) < 2:
        raise ValueError(f"`cdist` inputs must have rank >= 2. Received: {sx} and {sy}")
    if sx[-1] is not None and sy[-1] is not None and sx[-1] != sy[-1]:
        raise ValueError(f"Last dimension of inputs to `cdist` must match. Received: {sx} and {sy}")
    diff = subtract(expand_dims(to_float(x), -2), expand_dims(to_float(y), -3))
    return sqrt(knp.sum(multiply(diff, diff), axis=-1))
