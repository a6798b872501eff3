"""Einsum gradient rule against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(14)

EQUATIONS = [  # equation, operand shapes
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("abc,cd->abd", [(2, 2, 3), (3, 2)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ij,k->jk", [(2, 3), (2,)]),
]


@pytest.mark.parametrize("equation,shapes", EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum(equation, shapes):
    inputs = [RNG.standard_normal(s) for s in shapes]
    check_vjp("Einsum", inputs, {"equation": equation}, wrt=tuple(range(len(inputs))))


def test_einsum_symbolic_batch():
    inputs = [RNG.standard_normal((3, 2, 4)), RNG.standard_normal((3, 4, 2))]
    check_vjp("Einsum", inputs, {"equation": "bij,bjk->bik"}, wrt=(0, 1), batch=True)
