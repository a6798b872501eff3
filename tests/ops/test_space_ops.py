"""More creation ops (``kgraph/ops/spaces.py``) against numpy: each case run eagerly, in a
model and as ONNX (the created tensor is multiplied into the case's input)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, params


def _made(op, created, ref, x, **kwargs):
    return case(op, lambda v: ops.multiply(v, created()), lambda v: v * ref(), x, **kwargs)


CASES = [
    _made(
        "empty", lambda: ops.empty((2, 3)) + 1.0, lambda: np.ones((2, 3)), f32(2, 3), label="float"
    ),
    _made(
        "empty", lambda: ops.empty(3, "int32") + 2, lambda: np.full(3, 2), f32(2, 3), label="int32"
    ),
    case("empty_like", lambda v: ops.empty_like(v) + v, lambda v: v, f32(2, 3), label="float"),
    case(
        "empty_like",
        lambda v: ops.empty_like(v, "int32"),
        lambda v: np.zeros(v.shape, np.int32),
        f32(5, 2),
        dtype="int32",
        label="dyn",
        dynamic=True,
    ),
    _made(
        "logspace",
        lambda: ops.logspace(0.0, 2.0, 4),
        lambda: np.logspace(0.0, 2.0, 4),
        f32(3, 4),
        label="base10",
        rtol=1e-5,
    ),
    _made(
        "logspace",
        lambda: ops.logspace(1.0, 3.0, 3, False, 2),
        lambda: np.logspace(1.0, 3.0, 3, False, 2),
        f32(2, 3),
        label="base2",
    ),
    _made(
        "geomspace",
        lambda: ops.geomspace(1.0, 1000.0, 4),
        lambda: np.geomspace(1.0, 1000.0, 4),
        f32(3, 4),
        label="positive",
        rtol=1e-5,
    ),
    _made(
        "geomspace",
        lambda: ops.geomspace(-2.0, -32.0, 5),
        lambda: np.geomspace(-2.0, -32.0, 5),
        f32(2, 5),
        label="negative",
        rtol=1e-5,
    ),
    _made("bartlett", lambda: ops.bartlett(6), lambda: np.bartlett(6), f32(2, 6), label="even"),
    _made("bartlett", lambda: ops.bartlett(1), lambda: np.bartlett(1), f32(2, 1), label="one"),
    _made("blackman", lambda: ops.blackman(7), lambda: np.blackman(7), f32(2, 7), label="odd"),
    _made("blackman", lambda: ops.blackman(4), lambda: np.blackman(4), f32(2, 4), label="even"),
    _made("hamming", lambda: ops.hamming(5), lambda: np.hamming(5), f32(3, 5), label="odd"),
    _made("hamming", lambda: ops.hamming(8), lambda: np.hamming(8), f32(3, 8), label="even"),
    _made("hanning", lambda: ops.hanning(5), lambda: np.hanning(5), f32(3, 5), label="odd"),
    _made("hanning", lambda: ops.hanning(2), lambda: np.hanning(2), f32(3, 2), label="two"),
    _made(
        "kaiser",
        lambda: ops.kaiser(8, 5.0),
        lambda: np.kaiser(8, 5.0),
        f32(2, 8),
        label="beta5",
        atol=1e-6,
    ),
    _made(
        "kaiser",
        lambda: ops.kaiser(5, 14.0),
        lambda: np.kaiser(5, 14.0),
        f32(2, 5),
        label="beta14",
        atol=1e-6,
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


def test_errors():
    with pytest.raises(ValueError, match="one sign"):
        ops.geomspace(-1.0, 1.0, 3)
    with pytest.raises(ValueError, match="non-negative"):
        ops.hamming(-1)
