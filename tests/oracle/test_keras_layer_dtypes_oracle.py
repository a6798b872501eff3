"""Oracle: the dtypes layers give as in real Keras 3 (JAX). A layer casts floating inputs to its
own float dtype (Keras' autocast): float64 numpy arrays into a float32 layer give float32,
a ``dtype="float16"`` layer computes in float16; integer inputs pass untouched."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

RNG = np.random.default_rng(17)


def _custom(lib):
    class Doubling(lib.layers.Layer):
        def call(self, x):
            return x * 2

    return Doubling


CASES = [
    ("Dense", lambda lib: lib.layers.Dense(3), np.float64, (2, 4)),
    ("Dense-f16", lambda lib: lib.layers.Dense(3, dtype="float16"), np.float32, (2, 4)),
    ("Conv1D", lambda lib: lib.layers.Conv1D(2, 2), np.float64, (1, 4, 2)),
    ("custom-f64", lambda lib: _custom(lib)(), np.float64, (3,)),
    ("custom-int", lambda lib: _custom(lib)(), np.int32, (3,)),
    ("LayerNormalization", lambda lib: lib.layers.LayerNormalization(), np.float64, (2, 4)),
]


@pytest.mark.parametrize("make, dtype, shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_eager_output_dtype_matches_keras(make, dtype, shape):
    x = (RNG.standard_normal(shape) * 3).astype(dtype)
    ours, theirs = make(kgraph), make(keras)
    got = kgraph.ops.convert_to_numpy(ours(x))
    theirs(x)
    theirs.set_weights([np.asarray(w) for w in ours.weights])
    expected = np.asarray(theirs(x))
    assert got.dtype == expected.dtype
    tolerance = 1e-2 if got.dtype == np.float16 else 1e-5
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)
    assert (ours.compute_dtype, ours.variable_dtype, ours.input_dtype) == (
        theirs.compute_dtype,
        theirs.variable_dtype,
        theirs.input_dtype,
    )


@pytest.mark.parametrize("input_dtype", ["float64", "float16", "int32"])
def test_symbolic_dtypes_match_keras(input_dtype):
    def build(lib):
        inputs = lib.Input((4,), dtype=input_dtype)
        x = lib.layers.Dense(3)(inputs)
        half = lib.layers.Dense(2, dtype="float16")(x)
        return lib.Model(inputs, [x, half])

    ours, theirs = build(kgraph), build(keras)
    assert [o.dtype for o in ours.outputs] == [o.dtype for o in theirs.outputs]
    theirs.set_weights(ours.get_weights())
    x = RNG.integers(-2, 3, (5, 4)).astype(input_dtype)
    for got, want in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-2, atol=1e-2)


def test_autocast_false_keeps_the_input_dtype():
    """Keras' ``autocast=False`` (JAX itself makes every float64 array float32, so numpy is
    the reference here)."""
    x = RNG.standard_normal(3)
    got = kgraph.ops.convert_to_numpy(_custom(kgraph)(autocast=False)(x))
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, x * 2)
