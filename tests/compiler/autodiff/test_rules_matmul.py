"""MatMul (numpy semantics) and Gemm gradient rules against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(1)


@pytest.mark.parametrize(
    "a,b",
    [
        ((3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((1, 3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (3, 4, 2)),
        ((4,), (4, 5)),
        ((4,), (2, 4, 5)),
        ((2, 3, 4), (4,)),
        ((4,), (4,)),
        ((1, 4), (4, 1)),
    ],
)
def test_matmul(a, b):
    check_vjp("MatMul", [RNG.standard_normal(a), RNG.standard_normal(b)], {}, wrt=[0, 1])


def test_matmul_symbolic_batch():
    check_vjp(
        "MatMul",
        [RNG.standard_normal((3, 2, 4)), RNG.standard_normal((3, 4, 5))],
        {},
        wrt=[0, 1],
        batch=True,
    )


def test_matmul_dense_kernel_symbolic_batch():
    check_vjp(
        "MatMul",
        [RNG.standard_normal((3, 2, 4)), RNG.standard_normal((4, 5))],
        {},
        wrt=[0, 1],
        batch=[0],
    )


def test_matmul_one_operand():
    check_vjp("MatMul", [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))], {}, wrt=[1])


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("c_shape", [(5,), (3, 1), (3, 5), (), None])
def test_gemm(trans_a, trans_b, c_shape):
    a = RNG.standard_normal((4, 3) if trans_a else (3, 4))
    b = RNG.standard_normal((5, 4) if trans_b else (4, 5))
    inputs = [a, b] + ([] if c_shape is None else [RNG.standard_normal(c_shape)])
    attrs = {"transA": trans_a, "transB": trans_b, "alpha": 0.7, "beta": 1.3}
    check_vjp("Gemm", inputs, attrs, wrt=list(range(len(inputs))))


def test_gemm_default_attributes():
    inputs = [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 5)), RNG.standard_normal(5)]
    check_vjp("Gemm", inputs, {}, wrt=[0, 1, 2])
