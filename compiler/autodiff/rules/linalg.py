"""Gradient rule of ``Det`` (ONNX's only linear-algebra op).

``d det(A) / dA`` is the cofactor matrix. It is built from the determinants of the ``n * n``
minors (two Gathers with constant indices, one batched ``Det``), which stays exact for singular
``A`` where the textbook ``det(A) * inv(A)^T`` would divide by zero, and needs no inverse op
(ONNX has none). The matrix size must be static; the cost is ``n^2`` determinants of size
``n - 1``, meant for the small matrices ONNX graphs hold.
"""

from __future__ import annotations

import numpy as np

from kgraph.compiler.autodiff.emit import const, dims, ints, rank
from kgraph.compiler.autodiff.registry import rule


def _minor_indices(n: int) -> np.ndarray:
    """Row ``i`` lists ``0..n-1`` without ``i``."""
    return np.asarray([[j for j in range(n) if j != i] for i in range(n)], np.int64)


@rule("Det")
def _det(b, node, grads):
    (a,) = node.inputs
    n = dims(a)[-1]
    if not isinstance(n, int):
        raise ValueError("The gradient of Det needs a static matrix size.")
    g = b.op("Unsqueeze", [grads[0], ints(b, [-1, -2])])  # (..., 1, 1)
    if n == 1:
        return [g]
    r = rank(a)
    idx = b.constant(_minor_indices(n))
    rows = b.op("Gather", [a, idx], {"axis": r - 2})  # (..., n, n-1, n)
    minors = b.op("Gather", [rows, idx], {"axis": r})  # (..., n, n-1, n, n-1)
    perm = [*range(r - 2), r - 2, r, r - 1, r + 1]  # (..., i, j, n-1, n-1)
    minors = b.op("Transpose", [minors], {"perm": perm})
    signs = const(b, (-1.0) ** np.add.outer(np.arange(n), np.arange(n)), a)
    cofactors = b.op("Mul", [b.op("Det", [minors]), signs])
    return [b.op("Mul", [cofactors, g])]
