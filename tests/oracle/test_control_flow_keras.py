"""Oracle: control flow and core utilities give Keras' (JAX) values, eagerly."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops as kops
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

RNG = np.random.default_rng(17)
X = RNG.standard_normal((4, 3)).astype(np.float32)
F = (RNG.standard_normal(6) * 1e10).astype(np.float32)

CALLS = {
    "cond": lambda o: o.cond(np.array(False), lambda: X * 2.0, lambda: X - 1.0),
    "switch": lambda o: o.switch(1, [lambda a: a + 1.0, lambda a: a * 3.0], X),
    "switch-clamped": lambda o: o.switch(-4, [lambda a: a + 1.0, lambda a: a * 3.0], X),
    "while_loop": lambda o: o.while_loop(
        lambda i, v: i < 4, lambda i, v: (i + 1, v * 1.5 + 1.0), (0, X)
    )[1],
    "while_loop-max": lambda o: o.while_loop(lambda v: True, lambda v: v * 2.0, X, 3),
    "fori_loop": lambda o: o.fori_loop(1, 5, lambda i, v: v * i + 1.0, X),
    "scan": lambda o: o.scan(lambda c, x: (c + x, c * x), np.zeros(3, np.float32), X),
    "scan-reverse": lambda o: o.scan(lambda c, x: (c * 0.5 + x, c), X[0], X, reverse=True),
    "map": lambda o: o.map(lambda r: o.sum(r * r), X),
    "vectorized_map": lambda o: o.vectorized_map(lambda r: o.max(r) - r, X),
    "associative_scan": lambda o: o.associative_scan(lambda a, b: a + b, X, axis=1),
    "associative_scan-reverse": lambda o: o.associative_scan(o.maximum, X, reverse=True),
    "saturate_cast-int32": lambda o: o.saturate_cast(F, "int32"),
    "saturate_cast-uint8": lambda o: o.saturate_cast(X * 300.0, "uint8"),
    "saturate_cast-int16": lambda o: o.saturate_cast(np.array([70000, -70000, 5]), "int16"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_keras(name):
    got, want = CALLS[name](kops), CALLS[name](keras.ops)
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want, strict=True):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_dtype_and_is_tensor_match_keras():
    for x in (X, X.astype(np.int8), np.array([True])):
        assert kops.dtype(x) == keras.ops.dtype(x)
    assert kops.is_tensor(kops.add(X, 1.0)) and keras.ops.is_tensor(keras.ops.add(X, 1.0))
    np.testing.assert_array_equal(kops.convert_to_numpy(X), keras.ops.convert_to_numpy(X))
