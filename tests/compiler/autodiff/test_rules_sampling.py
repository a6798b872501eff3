"""Gradient rules of GatherND and Mod (image sampling) against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(5)


def test_gather_nd_repeated_indices():
    data = RNG.standard_normal((4, 3))
    indices = np.array([[1, 2], [1, 2], [3, 0]], np.int64)  # a repeated tuple adds up
    check_vjp("GatherND", [data, indices], {})


def test_gather_nd_batch_dims():
    data = RNG.standard_normal((2, 4, 5, 3))
    indices = RNG.integers(0, 4, (2, 3, 2, 2)).astype(np.int64)
    check_vjp("GatherND", [data, indices], {"batch_dims": 1})


def test_mod_float():  # onnxruntime runs float Mod with fmod=1 only
    a = RNG.uniform(-5, 5, (3, 4))
    m = RNG.uniform(1.3, 2.2, (4,))
    check_vjp("Mod", [a, m], {"fmod": 1}, wrt=(0, 1))


@pytest.mark.parametrize(
    "attrs",
    [
        {"mode": "linear", "coordinate_transformation_mode": "half_pixel"},
        {"mode": "linear", "antialias": 1, "exclude_outside": 1},
        {"mode": "nearest", "nearest_mode": "round_prefer_ceil"},
    ],
    ids=["linear", "antialias", "nearest"],
)
@pytest.mark.parametrize("out", [(2, 3), (7, 9)], ids=["down", "up"])
def test_resize_nhwc(attrs, out):
    x = RNG.standard_normal((2, 5, 4, 3))
    sizes = np.array([2, *out, 3], np.int64)
    check_vjp("Resize", [x, None, None, sizes], attrs)
