"""``pad``, ``take``, ``broadcast_to`` and ``repeat`` against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params

CASES = [
    case(
        "pad",
        lambda x: ops.pad(x, [(0, 0), (1, 2), (0, 1)]),
        lambda x: np.pad(x, [(0, 0), (1, 2), (0, 1)]),
        f32(2, 3, 4),
        label="pairs",
    ),
    case(
        "pad",
        lambda x: ops.pad(x, [(0, 0), (2, 1)], constant_values=3),
        lambda x: np.pad(x, [(0, 0), (2, 1)], constant_values=3),
        i32(3, 4),
        dtype="int32",
        label="int_value",
    ),
    case(
        "pad",
        lambda x: ops.pad(x, [(0, 0), (2, 1)], mode="reflect"),
        lambda x: np.pad(x, [(0, 0), (2, 1)], mode="reflect"),
        f32(3, 4),
        label="reflect",
    ),
    case(
        "pad",
        lambda x: ops.pad(x, [(0, 0), (1, 1), (0, 0)]),
        lambda x: np.pad(x, [(0, 0), (1, 1), (0, 0)]),
        f32(5, 2, 3),
        label="dyn",
        dynamic=True,
    ),
    case(
        "take",
        lambda x: ops.take(x, np.array([[2, 0], [1, 1]]), axis=1),
        lambda x: np.take(x, [[2, 0], [1, 1]], axis=1),
        f32(2, 3, 4),
        label="axis1",
    ),
    case(
        "take",
        lambda x: ops.take(x, [5, -1, 0]),
        lambda x: np.take(x, [5, -1, 0]),
        f32(2, 3),
        label="flat_negative",
    ),
    case(
        "take",
        lambda i, e: ops.take(e, i, axis=0),
        lambda i, e: np.take(e, i.astype(int), axis=0),
        i32(4, 2, low=0, high=6),
        f32(6, 3),
        label="embedding",
        fed=(True, False),
        dtype="float32",
    ),
    case(
        "broadcast_to",
        lambda x: ops.broadcast_to(x, (2, 3, 4)),
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        f32(3, 1),
        label="plain",
    ),
    case(
        "broadcast_to",
        lambda x: ops.broadcast_to(x[:, None], (None, 3, 4)),
        lambda x: np.broadcast_to(x[:, None], (x.shape[0], 3, 4)),
        f32(5, 4),
        label="dyn",
        dynamic=True,
    ),
    case(
        "repeat",
        lambda x: ops.repeat(x, 3, axis=1),
        lambda x: np.repeat(x, 3, axis=1),
        f32(2, 3, 2),
        label="axis1",
    ),
    case("repeat", lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2), f32(2, 3), label="flat"),
    case(
        "repeat",
        lambda x: ops.repeat(x, 2, axis=-1),
        lambda x: np.repeat(x, 2, axis=-1),
        f32(5, 3),
        label="dyn",
        dynamic=True,
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


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.pad(np.zeros((2, 3)), [(1, 1)] * 3), "pad_width"),
        (lambda: ops.pad(np.zeros((2, 3)), 1, mode="symmetric"), "symmetric"),
        (lambda: ops.broadcast_to(np.zeros((2, 3)), (4, 3)), "broadcast"),
        (lambda: ops.repeat(np.zeros((2, 3)), [1, 2]), "repeats"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
