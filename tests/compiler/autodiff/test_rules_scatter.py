"""TopK, GatherElements, ScatterElements and ScatterND gradient rules against finite
differences (distinct values, so the routed positions are stable under the perturbation)."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(13)


def distinct(*shape):
    return RNG.permutation(np.prod(shape)).reshape(shape) * 0.37 + RNG.uniform(0, 0.1, shape)


@pytest.mark.parametrize("largest", [0, 1])
@pytest.mark.parametrize("axis,k", [(-1, 2), (0, 3), (1, 4)])
def test_top_k(largest, axis, k):
    attrs = {"axis": axis, "largest": largest, "sorted": 1}
    check_vjp("TopK", [distinct(3, 4), np.array([k], np.int64)], attrs, num_outputs=2)


def test_top_k_symbolic_batch():
    attrs = {"axis": 1, "largest": 1}
    check_vjp("TopK", [distinct(3, 4), np.array([2], np.int64)], attrs, num_outputs=2, batch=True)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements(axis):
    indices = RNG.integers(-3, 3, (3, 3)).astype(np.int64)  # repeats and negatives
    check_vjp("GatherElements", [RNG.standard_normal((3, 3)), indices], {"axis": axis})


@pytest.mark.parametrize("reduction", ["none", "add"])
def test_scatter_elements(reduction):
    indices = np.array([[1, 0, 2], [0, 2, 1]], np.int64)  # a permutation per row: no clashes
    inputs = [RNG.standard_normal((2, 3)), indices, RNG.standard_normal((2, 3))]
    check_vjp("ScatterElements", inputs, {"axis": 1, "reduction": reduction}, wrt=(0, 2))


@pytest.mark.parametrize("reduction", ["none", "add"])
@pytest.mark.parametrize("depth", [1, 2])
def test_scatter_nd(reduction, depth):
    indices = np.array([[2, 1], [0, 0]], np.int64)[:, :depth]
    updates = RNG.standard_normal((2,) if depth == 2 else (2, 4))
    inputs = [RNG.standard_normal((3, 4)), indices, updates]
    check_vjp("ScatterND", inputs, {"reduction": reduction}, wrt=(0, 2))


def test_scatter_nd_add_duplicates():
    indices = np.array([[1], [1], [0]], np.int64)
    inputs = [RNG.standard_normal((3, 2)), indices, RNG.standard_normal((3, 2))]
    check_vjp("ScatterND", inputs, {"reduction": "add"}, wrt=(0, 2))


@pytest.mark.parametrize("reduction", ["max", "min"])
def test_scatter_nd_extremum(reduction):
    indices = np.array([[1], [1], [0]], np.int64)
    inputs = [distinct(3, 2), indices, distinct(3, 2) + 5 * (1 if reduction == "max" else -1)]
    check_vjp("ScatterND", inputs, {"reduction": reduction}, wrt=(0, 2))


@pytest.mark.parametrize("zeros", [0, 1, 2])
def test_scatter_nd_mul(zeros):
    """Products with duplicates, and with one or two zero factors on the same target."""
    indices = np.array([[1], [1], [0], [1]], np.int64)
    updates = RNG.uniform(0.5, 1.5, (4, 2)) * RNG.choice([-1, 1], (4, 2))
    updates[:zeros, 0] = 0.0
    inputs = [RNG.uniform(0.5, 1.5, (3, 2)), indices, updates]
    check_vjp("ScatterND", inputs, {"reduction": "mul"}, wrt=(0, 2))
