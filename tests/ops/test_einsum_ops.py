"""``einsum`` against ``numpy.einsum``."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from kgraph.ops.einsum_ops import explicit_equation
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params

_W = f32(4, 5)

CASES = [
    case(
        "einsum",
        lambda x: ops.einsum("abc,cd->abd", x, _W),
        lambda x: np.einsum("abc,cd->abd", x, _W),
        f32(2, 3, 4),
        label="dense",
    ),
    case(
        "einsum",
        lambda x: ops.einsum("...c,cd->...d", x, _W),
        lambda x: np.einsum("...c,cd->...d", x, _W),
        f32(3, 2, 4),
        label="ellipsis_dyn",
        dynamic=True,
    ),
    case(
        "einsum",
        lambda x: ops.einsum("bij,bkj", x, x),
        lambda x: np.einsum("bij,bkj", x, x),
        f32(2, 3, 4),
        label="implicit_output",
    ),
    case(
        "einsum",
        lambda x: ops.einsum("abc->ca", x),
        lambda x: np.einsum("abc->ca", x),
        f32(2, 3, 4),
        label="one_operand_sum",
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


def test_explicit_equation_expands_ellipses():
    assert explicit_equation("...c,cd->...d", [3, 2]) == "abc,cd->abd"
    assert explicit_equation("ij,jk", [2, 2]) == "ij,jk->ik"


def test_bad_subscripts():
    with pytest.raises(ValueError, match="rank"):
        ops.einsum("ab,bc->ac", np.zeros((2, 3, 4)), np.zeros((3, 4)))
