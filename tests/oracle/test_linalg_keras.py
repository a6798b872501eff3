"""Oracle: ``kgraph.ops.linalg`` gives Keras' (JAX) values, shapes and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops as kops
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

RNG = np.random.default_rng(8)
A = (RNG.standard_normal((2, 4, 4)) + 2 * np.eye(4)).astype(np.float32)
B = RNG.standard_normal((2, 4, 3)).astype(np.float32)
SPD = (A @ A.transpose(0, 2, 1) + np.eye(4)).astype(np.float32)
L = np.linalg.cholesky(SPD).astype(np.float32)
M = RNG.standard_normal((2, 5, 3)).astype(np.float32)

CALLS = {
    "det": lambda o: o.linalg.det(A),
    "inv": lambda o: o.linalg.inv(A),
    "solve": lambda o: o.linalg.solve(A, B),
    "solve_triangular-lower": lambda o: o.linalg.solve_triangular(A, B, lower=True),
    "solve_triangular-upper": lambda o: o.linalg.solve_triangular(A, B),
    "cholesky": lambda o: o.linalg.cholesky(SPD),
    "cholesky-upper": lambda o: o.linalg.cholesky(SPD, upper=True),
    "cholesky_inverse": lambda o: o.linalg.cholesky_inverse(L[0]),  # Keras batches it wrongly
    "slogdet": lambda o: o.slogdet(A),
    "logdet": lambda o: o.logdet(SPD),
    "norm": lambda o: o.linalg.norm(M),
    "norm-matrix-1": lambda o: o.linalg.norm(M, 1, axis=(1, 2)),
    "norm-matrix-inf-keepdims": lambda o: o.linalg.norm(M, np.inf, axis=(-2, -1), keepdims=True),
    "norm-vector-3": lambda o: o.linalg.norm(M, 3, axis=1),
    "norm-nuc": lambda o: o.linalg.norm(M, "nuc", axis=(1, 2)),
    "norm-2": lambda o: o.linalg.norm(M, 2, axis=(1, 2)),
    "svd-values": lambda o: o.linalg.svd(M, compute_uv=False),
    "eigh-values": lambda o: o.linalg.eigh(SPD)[0],
    "lu_factor": lambda o: o.linalg.lu_factor(A),
    "lstsq": lambda o: o.linalg.lstsq(M[0], M[1][:, :2]),
    "pinv": lambda o: o.linalg.pinv(M),
    "matrix_rank": lambda o: o.linalg.matrix_rank(M),
    "jvp": lambda o: o.linalg.jvp(lambda a: o.sin(a) * o.sum(a), (M[0],), (M[1],)),
    "jvp-aux": lambda o: o.linalg.jvp(lambda a: (o.exp(a), a * 2.0), (B[0],), (B[1],), True),
    "qr-r-abs": lambda o: o.abs(o.linalg.qr(M)[1]),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_keras(name):
    got, want = CALLS[name](kops), CALLS[name](keras.ops)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        assert g.dtype == w.dtype, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=5e-5)
