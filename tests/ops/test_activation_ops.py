"""The activation ops of ``kgraph.ops.activation_ops`` against numpy references written from
Keras' definitions."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops import opcheck as ref
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params


def _hard_sigmoid(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def _sparsemax(x, axis=-1):
    """The sort-based definition (Martins & Astudillo, 2016)."""
    z = np.moveaxis(x, axis, -1)
    zs = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1)
    cums = np.cumsum(zs, axis=-1)
    support = 1 + k * zs > cums
    kz = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(cums, kz - 1, axis=-1) - 1) / kz
    return np.moveaxis(np.maximum(z - tau, 0.0), -1, axis)


ACTIVATIONS = [  # op name, kgraph call, numpy reference
    ("hard_sigmoid", ops.hard_sigmoid, _hard_sigmoid),
    ("hard_silu", ops.hard_silu, lambda x: x * _hard_sigmoid(x)),
    ("hard_swish", ops.hard_swish, lambda x: x * _hard_sigmoid(x)),
    ("mish", ops.mish, lambda x: x * np.tanh(np.logaddexp(0.0, x))),
    ("celu", ops.celu, lambda x: np.maximum(x, 0) + np.minimum(np.exp(x) - 1, 0)),
    ("log_sigmoid", ops.log_sigmoid, lambda x: np.log(ref.sigmoid(x))),
    (
        "sparse_plus",
        ops.sparse_plus,
        lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    ),
    ("sparse_sigmoid", ops.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1)),
    ("squareplus", ops.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("tanh_shrink", ops.tanh_shrink, lambda x: x - np.tanh(x)),
    ("hard_tanh", ops.hard_tanh, lambda x: np.clip(x, -1, 1)),
    (
        "soft_shrink",
        ops.soft_shrink,
        lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    ),
    ("hard_shrink", ops.hard_shrink, lambda x: np.where(np.abs(x) > 0.5, x, 0.0)),
    ("sparsemax", ops.sparsemax, _sparsemax),
    ("glu", ops.glu, lambda x: x[..., :2] * ref.sigmoid(x[..., 2:])),
]


def _cases():
    cases = []
    for name, fn, numpy_ref in ACTIVATIONS:
        cases += [
            case(name, fn, numpy_ref, f32(3, 4) * 3, label="2d"),
            case(name, fn, numpy_ref, f32(5, 2, 4) * 3, label="dyn", dynamic=True),
            case(
                name,
                fn,
                numpy_ref,
                i32(3, 4, low=-4, high=5),
                label="int32",
                **({"dtype": "int32"} if name == "hard_tanh" else {}),  # Keras keeps ints
            ),
        ]
    cases += [
        case(
            "celu",
            lambda x: ops.celu(x, alpha=0.5),
            lambda x: np.maximum(x, 0) + 0.5 * np.minimum(np.exp(x / 0.5) - 1, 0),
            f32(3, 4) * 3,
            label="alpha",
        ),
        case(
            "squareplus",
            lambda x: ops.squareplus(x, b=1),
            lambda x: (x + np.sqrt(x * x + 1)) / 2,
            f32(3, 4),
            label="b",
        ),
        case(
            "threshold",
            lambda x: ops.threshold(x, 0.3, -2.0),
            lambda x: np.where(x > 0.3, x, -2.0),
            f32(3, 4),
            label="plain",
        ),
        case(
            "threshold",
            lambda x: ops.threshold(x, -1.0, 0.0),
            lambda x: np.where(x > -1.0, x, 0.0),
            f32(5, 4),
            label="dyn",
            dynamic=True,
        ),
        case(
            "sparsemax",
            lambda x: ops.sparsemax(x, axis=1),
            lambda x: _sparsemax(x, axis=1),
            f32(2, 5, 3) * 2,
            label="axis1",
        ),
        case(
            "glu",
            lambda x: ops.glu(x, axis=1),
            lambda x: x[:, :3] * ref.sigmoid(x[:, 3:]),
            f32(2, 6, 2),
            label="axis1",
        ),
        case(
            "log_sigmoid",
            ops.log_sigmoid,
            lambda x: -np.logaddexp(0.0, -x),
            np.array([[-50.0, -5.0, 0.0, 5.0, 50.0]], np.float32),
            label="tails",
        ),
    ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


def test_sparsemax_sums_to_one():
    out = ops.sparsemax(np.random.default_rng(1).standard_normal((4, 7)).astype(np.float32))
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-6)


def test_glu_needs_an_even_axis():
    with pytest.raises(ValueError, match="divisible by 2"):
        ops.glu(np.zeros((2, 3), np.float32))
