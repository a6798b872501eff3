"""Python scalars keep a float64 graph float64: ``where`` with a scalar branch and the nan*
reductions built on it (they used to emit float32 constants that onnxruntime refused)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_model, check_onnx, params

X = np.random.default_rng(7).standard_normal((3, 4))
XN = X.copy()
XN[0, 1] = XN[2, 3] = np.nan

CASES = [
    case(
        "where",
        lambda x: ops.where(x > 0, x, 0.0),
        lambda x: np.where(x > 0, x, 0.0),
        X,
        dtype="float64",
        label="f64-scalar-right",
    ),
    case(
        "where",
        lambda x: ops.where(x > 0, -1.5, x),
        lambda x: np.where(x > 0, -1.5, x),
        X,
        dtype="float64",
        label="f64-scalar-left",
    ),
    case(
        "where",
        lambda x: ops.where(x > 0, 1, x),
        lambda x: np.where(x > 0, 1.0, x),
        X,
        dtype="float64",
        label="f64-int-scalar",
    ),
    case(
        "nansum",
        lambda x: ops.nansum(x, axis=1),
        lambda x: np.nansum(x, axis=1),
        XN,
        dtype="float64",
        label="f64",
    ),
    case(
        "nanmean",
        lambda x: ops.nanmean(x, axis=0),
        lambda x: np.nanmean(x, axis=0),
        XN,
        dtype="float64",
        label="f64",
    ),
    case(
        "nanmax", lambda x: ops.nanmax(x), lambda x: np.nanmax(x), XN, dtype="float64", label="f64"
    ),
]


@pytest.mark.parametrize("c", params(CASES))
def test_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_onnx(c):
    check_onnx(c)


def test_eager_where_scalar_keeps_int_tensor_dtype():
    x = np.array([-2, 3, 0], np.int32)
    got = ops.where(x > 0, x, 7)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [7, 3, 7])
    got = ops.where(x > 0, 0.5, x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [-2.0, 0.5, 0.0])
