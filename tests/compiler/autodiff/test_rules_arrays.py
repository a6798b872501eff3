"""Tile, Trilu, CumSum and non-constant Pad gradient rules against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(12)


def i64(*values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("repeats", [(1, 1), (2, 3), (3, 1), (1, 2)], ids=str)
def test_tile(repeats):
    check_vjp("Tile", [RNG.standard_normal((2, 3)), i64(*repeats)])


def test_tile_symbolic_batch():
    check_vjp("Tile", [RNG.standard_normal((2, 3, 2)), i64(2, 1, 2)], batch=True)


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [None, 0, 1, -1])
def test_trilu(upper, k):
    inputs = [RNG.standard_normal((2, 3, 4))] + ([] if k is None else [np.array(k, np.int64)])
    check_vjp("Trilu", inputs, {"upper": upper})


@pytest.mark.parametrize("exclusive", [0, 1])
@pytest.mark.parametrize("reverse", [0, 1])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum(exclusive, reverse, axis):
    attrs = {"exclusive": exclusive, "reverse": reverse}
    check_vjp("CumSum", [RNG.standard_normal((3, 4)), np.array(axis, np.int64)], attrs)


def test_cumsum_symbolic_batch():
    check_vjp("CumSum", [RNG.standard_normal((3, 4)), np.array(1, np.int64)], batch=True)


@pytest.mark.parametrize("mode", ["reflect", "edge", "wrap"])
@pytest.mark.parametrize("pads", [(0, 2, 0, 1), (1, 1, 1, 2)], ids=str)
def test_pad_index_modes(mode, pads):
    check_vjp("Pad", [RNG.standard_normal((3, 4)), i64(*pads)], {"mode": mode})


def test_pad_reflect_with_axes():
    inputs = [RNG.standard_normal((2, 3, 4)), i64(2, 1), None, i64(2)]
    check_vjp("Pad", inputs, {"mode": "reflect"})
