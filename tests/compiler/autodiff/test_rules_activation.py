"""HardSigmoid and HardSwish gradient rules against finite differences (inputs kept off the
kinks, where the derivative jumps)."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(3)


def _off_kinks(shape, kinks, low=-6.0, high=6.0):
    x = RNG.uniform(low, high, shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.05, x + 0.1, x)
    return x


@pytest.mark.parametrize(
    "attrs, kinks",
    [({}, (-2.5, 2.5)), ({"alpha": 1 / 6, "beta": 0.5}, (-3.0, 3.0))],
)
def test_hard_sigmoid(attrs, kinks):
    check_vjp("HardSigmoid", [_off_kinks((4, 30), kinks)], attrs, eps=1e-3)


def test_hard_swish():
    x = _off_kinks((4, 30), (-3.0, 3.0))
    result = check_vjp("HardSwish", [x], {}, eps=1e-3)
    assert (np.abs(x) < 3).any() and (x > 3).any() and (x < -3).any()
    assert result.analytic[0].shape == x.shape
