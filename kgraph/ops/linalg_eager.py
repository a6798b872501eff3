"""The eager-only part of ``kgraph.ops.linalg``: decompositions ONNX has no op for.

They run numpy's LAPACK routines on concrete values. A traced tensor (inside a model) raises
one clear error: ONNX has no QR, SVD, eigen or LU operator, and an unrolled iterative solver
would not match LAPACK's results. Float results are float32 (floatx), as kgraph's eager ops
give for numpy float64 inputs; ``eig`` returns complex64 as Keras does.
"""

from __future__ import annotations

import numpy as np

from kgraph.tensor import KerasTensor


def _concrete(name: str, *arrays) -> list[np.ndarray]:
    for a in arrays:
        if isinstance(a, KerasTensor):
            raise ValueError(
                f"kgraph.ops.linalg.{name} runs eagerly only (ONNX has no operator for it); "
                "call it on concrete arrays, not inside a model."
            )
    out = []
    for a in arrays:
        a = np.asarray(a)
        out.append(a.astype(np.float32) if a.dtype != np.float16 else a)
    return out


def _rank2(name: str, x: np.ndarray) -> None:
    if x.ndim < 2:
        raise ValueError(
            f"{name}: Expected input to have rank >= 2. Received input with shape {x.shape}."
        )


def qr(x, mode="reduced"):
    """``(q, r)`` of the QR decomposition (``mode`` 'reduced' or 'complete'). Eager-only."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` argument value not supported. Received: mode={mode}")
    (x,) = _concrete("qr", x)
    _rank2("qr", x)
    q, r = np.linalg.qr(x, mode=mode)
    return q.astype(x.dtype), r.astype(x.dtype)


def svd(x, full_matrices=True, compute_uv=True):
    """``(u, s, vh)`` (or ``s`` alone) of the singular value decomposition. Eager-only."""
    (x,) = _concrete("svd", x)
    _rank2("svd", x)
    if not compute_uv:
        return np.linalg.svd(x, compute_uv=False).astype(x.dtype)
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return u.astype(x.dtype), s.astype(x.dtype), vh.astype(x.dtype)


def eig(x):
    """``(w, v)`` eigenvalues and right eigenvectors of general matrices, complex64. Eager-only."""
    (x,) = _concrete("eig", x)
    w, v = np.linalg.eig(x)
    return w.astype(np.complex64), v.astype(np.complex64)


def eigh(x):
    """``(w, v)`` of symmetric matrices (lower triangle read), ascending. Eager-only."""
    (x,) = _concrete("eigh", x)
    w, v = np.linalg.eigh(x)
    return w.astype(x.dtype), v.astype(x.dtype)


def _lu_one(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy's ``lu_factor`` of one matrix: packed ``L\\U`` and 0-based row swaps."""
    lu = a.astype(np.float64).copy()
    m, n = lu.shape
    piv = np.zeros(min(m, n), np.int32)
    for k in range(min(m, n)):
        p = k + int(np.argmax(np.abs(lu[k:, k])))
        piv[k] = p
        lu[[k, p]] = lu[[p, k]]
        if lu[k, k] != 0:
            lu[k + 1 :, k] /= lu[k, k]
            lu[k + 1 :, k + 1 :] -= np.outer(lu[k + 1 :, k], lu[k, k + 1 :])
    return lu, piv


def lu_factor(x):
    """``(lu, pivots)`` as scipy's ``lu_factor`` (batched over leading axes). Eager-only."""
    (x,) = _concrete("lu_factor", x)
    _rank2("lu_factor", x)
    flat = x.reshape(-1, *x.shape[-2:])
    parts = [_lu_one(m) for m in flat]
    lu = np.stack([p[0] for p in parts]).reshape(x.shape).astype(x.dtype)
    piv = np.stack([p[1] for p in parts]).reshape(*x.shape[:-2], -1)
    return lu, piv


def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` of ``a @ x ~ b``. Eager-only."""
    a, b = _concrete("lstsq", a, b)
    return np.linalg.lstsq(a, b, rcond=rcond)[0].astype(a.dtype)


def _default_rtol(x: np.ndarray) -> float:
    return max(x.shape[-2:]) * float(np.finfo(x.dtype).eps)


def pinv(x, rcond=None):
    """Moore-Penrose pseudo-inverse (small singular values below ``rcond * max``, by default
    ``max(m, n) * eps`` as in JAX, are dropped). Eager-only."""
    (x,) = _concrete("pinv", x)
    _rank2("pinv", x)
    rcond = _default_rtol(x) if rcond is None else rcond
    return np.linalg.pinv(x.astype(np.float64), rcond=rcond).astype(x.dtype)


def matrix_rank(x, tol=None):
    """Number of singular values above ``tol`` (default ``max * max(m, n) * eps``), int32.
    Eager-only."""
    (x,) = _concrete("matrix_rank", x)
    _rank2("matrix_rank", x)
    s = np.linalg.svd(x, compute_uv=False)
    if tol is None:
        tol = s.max(axis=-1, keepdims=True) * _default_rtol(x)
    return np.sum(s > tol, axis=-1).astype(np.int32)


def spectral_norm(x, order, axis, keepdims):
    """The 2 / -2 / 'nuc' matrix norms, from singular values. Eager-only."""
    (x,) = _concrete(f"norm(ord={order!r})", x)
    return np.linalg.norm(x, ord=order, axis=axis, keepdims=keepdims).astype(x.dtype)
