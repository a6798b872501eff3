"""``kgraph.ops`` array manipulation ops against numpy references."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params


def _one_hot(x, n, axis=-1, dtype=np.float32):
    """Keras' one_hot: out-of-range (including negative) indices give all zeros."""
    x = np.asarray(x).astype(np.int64)
    out = (x[..., None] == np.arange(n)).astype(dtype)
    return np.moveaxis(out, -1, axis)


def _reshape_cases():
    return [
        case(
            "reshape",
            lambda x: ops.reshape(x, (6, 4)),
            lambda x: x.reshape(6, 4),
            f32(2, 3, 4),
            label="6x4",
        ),
        case(
            "reshape",
            lambda x: ops.reshape(x, -1),
            lambda x: x.reshape(-1),
            f32(2, 3, 4),
            label="flat",
        ),
        case(
            "reshape",
            lambda x: ops.reshape(x, (2, -1, 2)),
            lambda x: x.reshape(2, -1, 2),
            f32(2, 3, 4),
            label="infer",
        ),
        case(
            "reshape",
            lambda x: ops.reshape(x, (4, 3)),
            lambda x: x.reshape(4, 3),
            i32(2, 6),
            dtype="int32",
            label="int32",
        ),
        case(
            "reshape",
            lambda x: ops.reshape(x, (-1, 12)),
            lambda x: x.reshape(-1, 12),
            f32(5, 3, 4),
            label="dyn",
            dynamic=True,
        ),
        case(
            "shape",
            lambda x: ops.reshape(x, (ops.shape(x)[0], -1)),
            lambda x: x.reshape(x.shape[0], -1),
            f32(2, 3, 4),
            label="reshape",
        ),
        case(
            "shape",
            lambda x: ops.reshape(x, (ops.shape(x)[0], -1)),
            lambda x: x.reshape(x.shape[0], -1),
            f32(5, 3, 2),
            label="dyn",
            dynamic=True,
        ),
    ]


def _transpose_cases():
    cases = [
        case("transpose", ops.transpose, np.transpose, f32(2, 3, 4), label="reverse"),
        case("transpose", ops.transpose, np.transpose, f32(3, 5), label="2d"),
    ]
    for axes in [(1, 0, 2), (0, 2, 1), (-1, 0, 1)]:
        cases.append(
            case(
                "transpose",
                lambda x, a=axes: ops.transpose(x, a),
                lambda x, a=axes: np.transpose(x, a),
                f32(2, 3, 4),
                label=str(axes),
            )
        )
    cases += [
        case(
            "transpose",
            lambda x: ops.transpose(x, (0, 2, 1)),
            lambda x: np.transpose(x, (0, 2, 1)),
            i32(2, 3, 4),
            dtype="int32",
            label="int32",
        ),
        case(
            "transpose",
            lambda x: ops.transpose(x, (0, 2, 1)),
            lambda x: np.transpose(x, (0, 2, 1)),
            f32(5, 3, 4),
            label="dyn",
            dynamic=True,
        ),
    ]
    return cases


def _join_cases():
    cases = []
    for axis in (0, 1, -1):
        cases.append(
            case(
                "concatenate",
                lambda a, b, ax=axis: ops.concatenate([a, b], axis=ax),
                lambda a, b, ax=axis: np.concatenate([a, b], axis=ax),
                f32(2, 3, 4),
                f32(2, 3, 4),
                label=f"axis={axis}",
            )
        )
        cases.append(
            case(
                "stack",
                lambda a, b, c, ax=axis: ops.stack([a, b, c], axis=ax),
                lambda a, b, c, ax=axis: np.stack([a, b, c], axis=ax),
                f32(2, 3),
                f32(2, 3),
                f32(2, 3),
                label=f"axis={axis}",
            )
        )
    cases += [
        case(
            "concatenate",
            lambda a, b, c: ops.concatenate([a, b, c], axis=1),
            lambda a, b, c: np.concatenate([a, b, c], axis=1),
            f32(2, 1, 4),
            f32(2, 3, 4),
            f32(2, 2, 4),
            label="three",
        ),
        case(
            "concatenate",
            lambda a, b: ops.concatenate([a, b], axis=-1),
            lambda a, b: np.concatenate([a, b], axis=-1),
            i32(2, 3),
            f32(2, 2),
            label="int32xfloat32",
        ),
        case(
            "concatenate",
            lambda x: ops.concatenate([x, ops.negative(x)], axis=-1),
            lambda x: np.concatenate([x, -x], axis=-1),
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
        case(
            "stack",
            lambda a, b: ops.stack([a, b], axis=2),
            lambda a, b: np.stack([a, b], 2),
            i32(2, 3),
            i32(2, 3),
            dtype="int32",
            label="int32",
        ),
        case(
            "stack",
            lambda x: ops.stack([x, ops.square(x)], axis=-1),
            lambda x: np.stack([x, x * x], axis=-1),
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
    ]
    return cases


def _axis_cases():
    cases = []
    for axis in (0, 1, -1, -3):
        cases.append(
            case(
                "expand_dims",
                lambda x, a=axis: ops.expand_dims(x, a),
                lambda x, a=axis: np.expand_dims(x, a),
                f32(3, 4),
                label=f"axis={axis}",
            )
        )
    for axes in [(0, 2), [-1, 0], (1,), (0, 1, -1)]:
        cases.append(
            case(
                "expand_dims",
                lambda x, a=axes: ops.expand_dims(x, a),
                lambda x, a=axes: np.expand_dims(x, a),
                f32(3, 4),
                label=f"axes={tuple(axes)}",
            )
        )
    cases += [
        case(
            "expand_dims",
            lambda x: ops.expand_dims(x, -1),
            lambda x: np.expand_dims(x, -1),
            f32(5, 4),
            label="dyn",
            dynamic=True,
        ),
        case(
            "expand_dims",
            lambda x: ops.expand_dims(x, (-1, 1)),
            lambda x: np.expand_dims(x, (-1, 1)),
            i32(5, 4),
            dtype="int32",
            label="dyn_axes",
            dynamic=True,
        ),
    ]
    for axis in (None, 1, (1, 3), -1):
        cases.append(
            case(
                "squeeze",
                lambda x, a=axis: ops.squeeze(x, a),
                lambda x, a=axis: np.squeeze(x, a),
                f32(2, 1, 3, 1),
                label=f"axis={axis}",
            )
        )
    cases += [
        case(
            "squeeze",
            lambda x: ops.squeeze(x, 1),
            lambda x: np.squeeze(x, 1),
            i32(2, 1, 3),
            dtype="int32",
            label="int32",
        ),
        case(
            "squeeze",
            lambda x: ops.squeeze(x, -1),
            lambda x: np.squeeze(x, -1),
            f32(5, 3, 1),
            label="dyn",
            dynamic=True,
        ),
    ]
    return cases


def _one_hot_cases():
    idx = i32(6, low=0, high=4)
    return [
        case("one_hot", lambda x: ops.one_hot(x, 4), lambda x: _one_hot(x, 4), idx, label="1d"),
        case(
            "one_hot",
            lambda x: ops.one_hot(x, 5, axis=0),
            lambda x: _one_hot(x, 5, 0),
            i32(2, 3, low=0, high=5),
            label="axis=0",
        ),
        case(
            "one_hot",
            lambda x: ops.one_hot(x, 5, axis=1),
            lambda x: _one_hot(x, 5, 1),
            i32(2, 3, low=0, high=5),
            label="axis=1",
        ),
        case(
            "one_hot",
            lambda x: ops.one_hot(x, 3, dtype="int32"),
            lambda x: _one_hot(x, 3, dtype=np.int32),
            i32(2, 4, low=0, high=3),
            dtype="int32",
            label="dtype=int32",
        ),
        case(
            "one_hot",
            lambda x: ops.one_hot(x, 3, dtype="bool"),
            lambda x: _one_hot(x, 3, dtype=bool),
            i32(4, low=0, high=3),
            dtype="bool",
            label="dtype=bool",
        ),
        case(
            "one_hot",
            lambda x: ops.one_hot(x, 3),
            lambda x: _one_hot(x, 3),
            np.array([-1, 0, 2, 3, -3], np.int32),
            label="out_of_range",
        ),
        case(
            "one_hot",
            lambda x: ops.one_hot(x, 4),
            lambda x: _one_hot(x, 4),
            i32(5, low=0, high=4).astype(np.int64),
            label="int64",
        ),
        case(
            "one_hot",
            lambda x: ops.one_hot(x, 4),
            lambda x: _one_hot(x, 4),
            i32(5, 2, low=0, high=4),
            label="dyn",
            dynamic=True,
        ),
    ]


CASES = _reshape_cases() + _transpose_cases() + _join_cases() + _axis_cases() + _one_hot_cases()


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(CASES))
def test_exported_onnx(c):
    check_onnx(c)


# -- static shapes and errors -------------------------------------------------------------------


def test_shape_is_a_static_tuple():
    assert ops.shape(np.zeros((2, 3))) == (2, 3)
    assert ops.shape(kgraph.Input((4, 5))) == (None, 4, 5)
    assert ops.shape(ops.reshape(kgraph.Input((4, 5)), (-1, 20))) == (None, 20)


def test_symbolic_shapes():
    x = kgraph.Input((3, 4))
    assert ops.transpose(x, (0, 2, 1)).shape == (None, 4, 3)
    assert ops.expand_dims(x, 1).shape == (None, 1, 3, 4)
    assert ops.expand_dims(x, (0, 2)).shape == (1, None, 1, 3, 4)
    assert ops.expand_dims(x, [-1, 1]).shape == (None, 1, 3, 4, 1)
    assert ops.concatenate([x, x], axis=1).shape == (None, 6, 4)
    assert ops.stack([x, x], axis=-1).shape == (None, 3, 4, 2)
    assert ops.one_hot(kgraph.Input((3,), dtype="int32"), 7).shape == (None, 3, 7)
    assert ops.squeeze(kgraph.Input((1, 4)), 1).shape == (None, 4)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.reshape(np.zeros(6), (4,)), r"\(6,\).*\(4,\)"),
        (lambda: ops.reshape(np.zeros(6), (-1, -1)), "Only one"),
        (lambda: ops.reshape(np.zeros(6), (4, -1)), r"\(6,\).*\(4, -1\)"),
        (lambda: ops.squeeze(np.zeros((2, 3)), 0), r"axis 0 of shape \(2, 3\)"),
        (lambda: ops.transpose(np.zeros((2, 3)), (0, 0)), "permutation"),
        (
            lambda: ops.concatenate([np.zeros((2, 3)), np.zeros((3, 3))], axis=1),
            r"\(2, 3\), \(3, 3\)",
        ),
        (lambda: ops.expand_dims(np.zeros((2, 3)), 3), "out of range"),
        (lambda: ops.expand_dims(np.zeros((2, 3)), (0, 4)), "out of range"),
        (lambda: ops.expand_dims(np.zeros((2, 3)), (1, -3)), r"Repeated axis.*\(1, -3\)"),
    ],
    ids=[
        "reshape",
        "two_minus_one",
        "not_divisible",
        "squeeze",
        "transpose",
        "concatenate",
        "expand_dims",
        "expand_dims_axes",
        "expand_dims_repeated",
    ],
)
def test_array_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_fixed_batch_input_keeps_its_batch_dim_in_the_export():
    from tests.ops.opcheck import OpLayer

    inp = kgraph.Input(batch_shape=(1, 3, 1))
    out = OpLayer(ops.squeeze, name="squeeze_all")(inp)
    assert out.shape == (3,)
    model = kgraph.Model(inp, out)
    assert model.predict(np.ones((1, 3, 1), np.float32), verbose=0).shape == (3,)


def test_array_and_stack_take_kerass_names():
    """``ops.array`` is Keras' function (not the ``kgraph.ops.array`` submodule) and ``stack``
    takes its tensors as ``x``, as ``keras.ops.stack(x, axis)``."""
    got = ops.array([[1, 2], [3, 4]], dtype="float16")
    np.testing.assert_array_equal(got, np.asarray([[1, 2], [3, 4]], np.float16))
    assert got.dtype == np.float16
    assert ops.array([1, 2]).dtype == np.int32
    stacked = ops.stack(x=[np.ones(2, np.float32), np.zeros(2, np.float32)], axis=1)
    np.testing.assert_array_equal(stacked, [[1.0, 0.0], [1.0, 0.0]])
