"""Einsum gradient rule against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(11)

SPECS = {  # equation: operand shapes
    "ab,bc->ac": [(3, 4), (4, 2)],
    "abc,cd->abd": [(2, 3, 4), (4, 5)],
    "abc,cde->abde": [(2, 3, 4), (4, 2, 3)],
    "abc,bd->adc": [(2, 3, 2), (3, 4)],
    "ab,ab->a": [(3, 4), (3, 4)],
    "ab,bc->c": [(3, 4), (4, 2)],
    "abc,c,d->abd": [(2, 3, 2), (2,), (3,)],
}


@pytest.mark.parametrize("equation", SPECS)
def test_einsum(equation):
    inputs = [RNG.standard_normal(s) for s in SPECS[equation]]
    check_vjp("Einsum", inputs, {"equation": equation}, wrt=range(len(inputs)), eps=1e-2)
