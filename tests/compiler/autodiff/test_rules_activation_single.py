"""Celu, Shrink and ThresholdedRelu gradient rules against finite differences (inputs kept
off the thresholds, where the derivative jumps)."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(8)


def _off(shape, kinks):
    x = RNG.uniform(-3.0, 3.0, shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.05, x + 0.1, x)
    return x


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_celu(alpha):
    # onnxruntime runs Celu in float32 only
    check_vjp("Celu", [_off((4, 25), (0.0,))], {"alpha": alpha}, dtype="float32")


@pytest.mark.parametrize("lambd, bias", [(0.5, 0.5), (0.5, 0.0), (1.2, 0.3)])
def test_shrink(lambd, bias):
    x = _off((4, 25), (-lambd, lambd))
    # onnxruntime's double Shrink rounds through float32: checked in float32
    result = check_vjp("Shrink", [x], {"lambd": lambd, "bias": bias}, dtype="float32")
    inside = np.abs(x) < lambd
    assert inside.any() and np.all(result.analytic[0][inside] == 0)


def test_thresholded_relu():
    x = _off((4, 25), (0.7,))
    result = check_vjp("ThresholdedRelu", [x], {"alpha": 0.7}, dtype="float32")
    assert np.all(result.analytic[0][x < 0.7] == 0)
