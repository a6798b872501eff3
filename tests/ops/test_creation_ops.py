"""``kgraph.ops`` creation ops: each case run eagerly, in a model and as ONNX.

Ops without tensor inputs are combined with the case's input (``x * created``) so the model
has an input to feed; the ``_like`` forms follow the input's (dynamic) shape.
"""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params


def _times(created, ref):
    """A case body ``x * created()`` and its numpy reference ``x * ref()``."""
    return (lambda x: ops.multiply(x, created())), (lambda x: x * ref())


def _made(op, created, ref, x, **kwargs):
    fn, want = _times(created, ref)
    return case(op, fn, want, x, **kwargs)


def _fixed_cases():
    return [
        _made("ones", lambda: ops.ones((3, 4)), lambda: np.ones((3, 4)), f32(3, 4), label="2d"),
        _made(
            "ones",
            lambda: ops.ones(4, "int32"),
            lambda: np.ones(4, np.int32),
            i32(2, 4),
            dtype="int32",
            label="int32",
        ),
        _made("zeros", lambda: ops.zeros((2, 3)), lambda: np.zeros((2, 3)), f32(2, 3), label="2d"),
        _made(
            "zeros",
            lambda: ops.zeros((3,), "int32"),
            lambda: np.zeros(3, np.int32),
            i32(2, 3),
            dtype="int32",
            label="int32",
        ),
        _made(
            "full",
            lambda: ops.full((2, 3), 2.5),
            lambda: np.full((2, 3), 2.5),
            f32(2, 3),
            label="float",
        ),
        _made(
            "full",
            lambda: ops.full((3,), 7, "int32"),
            lambda: np.full(3, 7, np.int32),
            i32(4, 3),
            dtype="int32",
            label="int32",
        ),
        _made(
            "arange",
            lambda: ops.arange(5),
            lambda: np.arange(5),
            i32(3, 5),
            dtype="int32",
            label="stop",
        ),
        _made(
            "arange",
            lambda: ops.arange(1, 9, 3),
            lambda: np.arange(1, 9, 3),
            i32(2, 3),
            dtype="int32",
            label="start_stop_step",
        ),
        _made(
            "arange",
            lambda: ops.arange(0.0, 2.0, 0.5),
            lambda: np.arange(0.0, 2.0, 0.5),
            f32(2, 4),
            label="float",
        ),
        _made(
            "arange",
            lambda: ops.arange(5, 0, -2),
            lambda: np.arange(5, 0, -2),
            i32(2, 3),
            dtype="int32",
            label="negative_step",
        ),
        _made(
            "linspace",
            lambda: ops.linspace(0, 1, 5),
            lambda: np.linspace(0, 1, 5),
            f32(2, 5),
            label="endpoint",
        ),
        _made(
            "linspace",
            lambda: ops.linspace(-2, 3, 4, endpoint=False),
            lambda: np.linspace(-2, 3, 4, endpoint=False),
            f32(3, 4),
            label="no_endpoint",
        ),
        _made("eye", lambda: ops.eye(3), lambda: np.eye(3), f32(3, 3), label="square"),
        _made("eye", lambda: ops.eye(3, 4, k=1), lambda: np.eye(3, 4, k=1), f32(3, 4), label="k=1"),
        _made(
            "eye",
            lambda: ops.eye(4, 3, k=-1, dtype="int32"),
            lambda: np.eye(4, 3, k=-1, dtype=np.int32),
            i32(4, 3),
            dtype="int32",
            label="int32",
        ),
        _made(
            "identity", lambda: ops.identity(3), lambda: np.identity(3), f32(3, 3), label="float"
        ),
        _made(
            "identity",
            lambda: ops.identity(2, "int32"),
            lambda: np.identity(2, np.int32),
            i32(2, 2),
            dtype="int32",
            label="int32",
        ),
        _made("tri", lambda: ops.tri(3), lambda: np.tri(3), f32(3, 3), label="square"),
        _made("tri", lambda: ops.tri(3, 5, k=1), lambda: np.tri(3, 5, k=1), f32(3, 5), label="k=1"),
        _made(
            "tri", lambda: ops.tri(4, 3, k=-1), lambda: np.tri(4, 3, k=-1), f32(4, 3), label="k=-1"
        ),
    ]


def _like_cases():
    cases = []
    for name, value in [("ones_like", 1), ("zeros_like", 0), ("full_like", 3)]:
        if name == "full_like":
            fn, fn_int = (lambda x: ops.full_like(x, 3.0)), (lambda x: ops.full_like(x, 2.5))
        else:
            fn = fn_int = getattr(ops, name)
        int_value = 2 if name == "full_like" else value  # an int tensor truncates 2.5
        cases += [
            case(name, fn, lambda x, v=value: np.full_like(x, v), f32(3, 4), label="float"),
            case(
                name,
                fn,
                lambda x, v=value: np.full_like(x, v),
                f32(5, 2),
                label="dyn",
                dynamic=True,
            ),
            case(
                name,
                fn_int,
                lambda x, v=int_value: np.full_like(x, v),
                i32(2, 3),
                dtype="int32",
                label="int32",
            ),
        ]
    cases.append(
        case(
            "ones_like",
            lambda x: ops.ones_like(x, "int32"),
            lambda x: np.ones_like(x, np.int32),
            f32(2, 2),
            dtype="int32",
            label="dtype",
        )
    )
    return cases


CASES = _fixed_cases() + _like_cases()


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
    with pytest.raises(ValueError, match="Received: step=0"):
        ops.arange(0, 3, 0)
    with pytest.raises(ValueError, match="Received: shape="):
        ops.ones((2, -1))
    with pytest.raises(ValueError, match="Received: start="):
        ops.linspace(np.zeros(2), 1.0)


def test_linspace_retstep():
    values, step = ops.linspace(0.0, 2.0, 5, retstep=True)
    np.testing.assert_allclose(values, np.linspace(0.0, 2.0, 5))
    assert step == pytest.approx(0.5)
