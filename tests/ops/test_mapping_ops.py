"""``vectorize`` (``kgraph/ops/mapping.py``) against ``numpy.vectorize``: eagerly, in a model
and as ONNX."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params


def _step(a, b):
    return ops.where(ops.greater(a, b), a - b, a * b)


def _step_np(a, b):
    return a - b if a > b else a * b


CASES = [
    case(
        "vectorize",
        lambda x, y: ops.vectorize(_step)(x, y),
        np.vectorize(_step_np),
        f32(2, 3),
        f32(3),
        fed=(True, False),
        label="bcast",
    ),
    case(
        "vectorize",
        lambda x: ops.vectorize(_step)(x, 1),
        lambda x: np.vectorize(_step_np)(x, 1),
        i32(4),
        dtype="int32",
        label="int_scalar",
    ),
    case(
        "vectorize",
        lambda m, v: ops.vectorize(ops.matmul, signature="(m,n),(n)->(m)")(m, v),
        np.vectorize(np.matmul, signature="(m,n),(n)->(m)"),
        f32(2, 3, 4),
        f32(4),
        fed=(True, False),
        label="signature",
    ),
    case(
        "vectorize",
        lambda x: ops.vectorize(ops.power, excluded={1})(x, 3.0),
        lambda x: x**3.0,
        f32(2, 2),
        label="excluded",
    ),
]


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


def test_tuple_outputs_and_errors():
    first, second = ops.vectorize(lambda a: (a * 2.0, a + 1.0))(np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(first, [2.0, 4.0])
    np.testing.assert_allclose(second, [2.0, 3.0])
    with pytest.raises(ValueError, match="callable"):
        ops.vectorize(3)
    with pytest.raises(ValueError, match="has 1 inputs"):
        ops.vectorize(ops.add, signature="(n)->(n)")(np.ones(2), np.ones(2))
