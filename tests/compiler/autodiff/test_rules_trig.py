"""Trigonometric and hyperbolic gradient rules against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(11)
DOMAINS = {  # op type -> input interval where the function is smooth
    "Tan": (-1.2, 1.2),
    "Asin": (-0.9, 0.9),
    "Acos": (-0.9, 0.9),
    "Atan": (-3.0, 3.0),
    "Sinh": (-2.0, 2.0),
    "Cosh": (-2.0, 2.0),
    "Asinh": (-3.0, 3.0),
    "Acosh": (1.1, 3.0),
    "Atanh": (-0.9, 0.9),
}


@pytest.mark.parametrize("op_type", sorted(DOMAINS))
def test_trig(op_type):
    lo, hi = DOMAINS[op_type]
    check_vjp(op_type, [RNG.uniform(lo, hi, (2, 3))])


@pytest.mark.parametrize("op_type", ["Atan", "Sinh"])
def test_symbolic_batch(op_type):
    check_vjp(op_type, [RNG.uniform(-1, 1, (3, 2))], batch=True)
