"""Sorting, searching, counting and scatter ops (``kgraph/ops/sorting.py``, ``counting.py``,
``scatter.py``) against numpy: each case run eagerly, in a model and as ONNX; the ops whose
output length depends on the values (``EAGER_CASES``) run eagerly only and refuse to trace."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, grid, i32, params


def c(op, fn, ref, *inputs, **kwargs):
    return case(op, fn, ref, *inputs, **kwargs)


def _ties(*shape):
    return grid(*shape)


def _stable_argsort(x, axis=-1):
    return np.argsort(x, axis=axis, kind="stable")


def _top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order


def _sort_cases():
    return [
        c("sort", ops.sort, np.sort, f32(3, 5), label="last"),
        c(
            "sort",
            lambda x: ops.sort(x, 0),
            lambda x: np.sort(x, 0),
            i32(4, 3),
            dtype="int32",
            label="axis0",
        ),
        c("sort", lambda x: ops.sort(x, None), lambda x: np.sort(x, None), f32(3, 4), label="flat"),
        c(
            "sort",
            lambda x: ops.sort(x, 1),
            lambda x: np.sort(x, 1),
            f32(5, 3),
            label="dyn",
            dynamic=True,
        ),
        c("argsort", ops.argsort, _stable_argsort, _ties(3, 6), dtype="int32", label="ties"),
        c(
            "argsort",
            lambda x: ops.argsort(x, 0),
            lambda x: _stable_argsort(x, 0),
            f32(4, 3),
            dtype="int32",
            label="axis0",
        ),
        c(
            "argsort",
            ops.argsort,
            _stable_argsort,
            f32(5, 4),
            dtype="int32",
            label="dyn",
            dynamic=True,
        ),
        c(
            "argpartition",
            lambda x: ops.take_along_axis(x, ops.argpartition(x, 2), -1)[:, 2],
            lambda x: np.partition(x, 2)[:, 2],
            f32(3, 5),
            label="kth",
        ),
        c(
            "argpartition",
            lambda x: ops.take_along_axis(x, ops.argpartition(x, 1, 0), 0)[1],
            lambda x: np.partition(x, 1, 0)[1],
            f32(4, 3),
            label="axis0",
        ),
        c(
            "top_k",
            lambda x: ops.top_k(x, 2)[0],
            lambda x: _top_k(x, 2)[0],
            f32(3, 5),
            label="values",
        ),
        c(
            "top_k",
            lambda x: ops.top_k(x, 3)[1],
            lambda x: _top_k(x, 3)[1],
            _ties(3, 5),
            dtype="int32",
            label="indices_ties",
        ),
        c(
            "top_k",
            lambda x: ops.top_k(x, 1)[0],
            lambda x: _top_k(x, 1)[0],
            i32(5, 4),
            dtype="int32",
            label="dyn",
            dynamic=True,
        ),
        c(
            "in_top_k",
            lambda t, p: ops.in_top_k(t, p, 2),
            lambda t, p: (p > np.take_along_axis(p, t[:, None].astype(int), 1)).sum(1) < 2,
            i32(4, low=0, high=5),
            f32(4, 5),
            dtype="bool",
            label="k2",
        ),
        c(
            "in_top_k",
            lambda t, p: ops.in_top_k(t, p, 1),
            lambda t, p: (p > np.take_along_axis(p, t[:, None].astype(int), 1)).sum(1) < 1,
            i32(4, low=0, high=5),
            f32(4, 5),
            dtype="bool",
            label="k1",
        ),
    ]


def _index_cases():
    idx = np.array([[0, 2, 1], [1, 1, 0]], np.int32)
    return [
        c(
            "take_along_axis",
            lambda x: ops.take_along_axis(x, idx, 1),
            lambda x: np.take_along_axis(x, idx, 1),
            f32(2, 4),
            label="axis1",
        ),
        c(
            "take_along_axis",
            lambda x: ops.take_along_axis(x, idx.T, 0),
            lambda x: np.take_along_axis(x, idx.T, 0),
            i32(3, 2),
            dtype="int32",
            label="axis0",
        ),
        c(
            "take_along_axis",
            lambda x: ops.take_along_axis(x, idx[0], None),
            lambda x: np.take_along_axis(x.ravel(), idx[0], None),
            f32(2, 3),
            label="flat",
        ),
        c(
            "take_along_axis",
            lambda x: ops.take_along_axis(x, np.zeros((1, 2), np.int32), 1),
            lambda x: np.take_along_axis(x, np.zeros((3, 2), int), 1),
            f32(3, 4),
            label="bcast",
        ),
        c(
            "searchsorted",
            lambda v: ops.searchsorted(np.array([0.0, 1.0, 1.0, 3.0], np.float32), v),
            lambda v: np.searchsorted([0.0, 1.0, 1.0, 3.0], v),
            grid(3, 4),
            dtype="int32",
            label="left",
        ),
        c(
            "searchsorted",
            lambda v: ops.searchsorted(np.array([0.0, 1.0, 1.0, 3.0], np.float32), v, "right"),
            lambda v: np.searchsorted([0.0, 1.0, 1.0, 3.0], v, "right"),
            grid(5),
            dtype="int32",
            label="right",
        ),
        c(
            "digitize",
            lambda x: ops.digitize(x, np.array([-1.0, 0.0, 1.5], np.float32)),
            lambda x: np.digitize(x, [-1.0, 0.0, 1.5]).astype(np.int32),
            grid(3, 4),
            dtype="int32",
            label="float",
        ),
        c(
            "digitize",
            lambda x: ops.digitize(x, np.array([0, 2], np.int32)),
            lambda x: np.digitize(x, [0, 2]).astype(np.int32),
            i32(6),
            dtype="int32",
            label="int",
        ),
        c(
            "isin",
            lambda x: ops.isin(x, np.array([0.0, 2.0], np.float32)),
            lambda x: np.isin(x, [0.0, 2.0]),
            grid(3, 4),
            dtype="bool",
            label="float",
        ),
        c(
            "isin",
            lambda x: ops.isin(x, np.array([1, -1], np.int32), invert=True),
            lambda x: np.isin(x, [1, -1], invert=True),
            i32(3, 4),
            dtype="bool",
            label="invert",
        ),
        c(
            "select",
            lambda x: ops.select([x > 1, x < -1], [x, -x], 0.5),
            lambda x: np.select([x > 1, x < -1], [x, -x], 0.5),
            f32(3, 4) * 2,
            label="float",
        ),
        c(
            "select",
            lambda x: ops.select([x > 0], [x * 2]),
            lambda x: np.select([x > 0], [x * 2]),
            i32(3, 4),
            dtype="int32",
            label="default",
        ),
    ]


def _count_cases():
    w = f32(6, low=0.5, high=2.0)
    return [
        c(
            "bincount",
            lambda x: ops.bincount(x, minlength=5),
            lambda x: np.bincount(x, minlength=5).astype(np.int32),
            i32(6, low=0, high=5),
            dtype="int32",
            label="minlength",
        ),
        c(
            "bincount",
            lambda x: ops.bincount(x, w, minlength=4),
            lambda x: np.bincount(x.astype(int), w, minlength=4),
            i32(6, low=0, high=4),
            label="weights",
        ),
        c(
            "histogram",
            lambda x: ops.histogram(x, 4)[0],
            lambda x: np.histogram(x, 4)[0].astype(np.float32),
            f32(9),
            label="counts",
        ),
        c(
            "histogram",
            lambda x: ops.histogram(x, 3, (-1.0, 1.0))[1],
            lambda x: np.histogram(x, 3, (-1.0, 1.0))[1],
            f32(9),
            label="edges",
        ),
        c(
            "unravel_index",
            lambda i: ops.stack(ops.unravel_index(i, (3, 4))),
            lambda i: np.stack(np.unravel_index(i, (3, 4))).astype(np.int32),
            i32(5, low=0, high=12),
            dtype="int32",
            label="2d",
        ),
        c(
            "unravel_index",
            lambda i: ops.unravel_index(i, (2, 3, 2))[1],
            lambda i: np.unravel_index(i, (2, 3, 2))[1].astype(np.int32),
            i32(2, 3, low=0, high=12),
            dtype="int32",
            label="3d",
        ),
        c(
            "unique",
            lambda x: ops.unique(x, size=6, fill_value=-9.0),
            lambda x: np.pad(np.unique(x), (0, 6 - np.unique(x).size), constant_values=-9.0),
            grid(3, 2),
            label="size",
        ),
        c(
            "unique",
            lambda x: ops.unique(x, return_counts=True, size=3, fill_value=0)[1],
            lambda x: np.unique(x, return_counts=True)[1][:3].astype(np.int32),
            i32(8, low=0, high=3),
            dtype="int32",
            label="counts",
        ),
    ]


def _scatter_cases():
    at = np.array([[0, 1], [2, 0], [0, 1]], np.int32)
    rows = np.array([[2], [0]], np.int32)
    return [
        c(
            "scatter",
            lambda v: ops.scatter(at, v, (3, 2)),
            lambda v: _scatter_add(at, v, (3, 2)),
            f32(3),
            label="duplicates",
        ),
        c(
            "scatter",
            lambda v: ops.scatter(rows, v, (3, 4)),
            lambda v: _scatter_add(rows, v, (3, 4)),
            i32(2, 4),
            dtype="int32",
            label="rows",
        ),
        c(
            "scatter_update",
            lambda x: ops.scatter_update(x, rows, np.ones((2, 4), np.float32)),
            lambda x: _assign(x, rows, 1.0),
            f32(3, 4),
            label="rows",
        ),
        c(
            "scatter_update",
            lambda x, u: ops.scatter_update(x, at[:2], u, "add"),
            lambda x, u: _scatter_add(at[:2], u, x.shape) + x,
            f32(3, 2),
            f32(2),
            fed=(True, False),
            label="add",
        ),
        c(
            "slice_update",
            lambda x: ops.slice_update(x, (1, 2), np.full((2, 2), 7, np.float32)),
            lambda x: _block(x, (1, 2), 7),
            f32(3, 4),
            label="static",
        ),
        c(
            "slice_update",
            lambda x: ops.slice_update(x, np.array([0, 1], np.int32), np.full((1, 3), 5, np.int32)),
            lambda x: _block(x, (0, 1), 5, (1, 3)),
            i32(2, 4),
            dtype="int32",
            label="tensor_start",
        ),
        c(
            "segment_sum",
            lambda x: ops.segment_sum(x, np.array([0, 0, 2, 1]), 4),
            lambda x: _segments(x, [0, 0, 2, 1], 4, np.add, 0),
            f32(4, 2),
            label="float",
        ),
        c(
            "segment_sum",
            lambda x: ops.segment_sum(x, np.array([1, 1, 0])),
            lambda x: _segments(x, [1, 1, 0], 2, np.add, 0),
            i32(3),
            dtype="int32",
            label="int",
        ),
        c(
            "segment_max",
            lambda x: ops.segment_max(x, np.array([0, 0, 2]), 4),
            lambda x: _segments(x, [0, 0, 2], 4, np.maximum, -np.inf),
            f32(3, 2),
            label="float",
        ),
        c(
            "segment_max",
            lambda x: ops.segment_max(x, np.array([1, 1, 0])),
            lambda x: _segments(x, [1, 1, 0], 2, np.maximum, np.iinfo(np.int32).min),
            i32(3),
            dtype="int32",
            label="int",
        ),
        c(
            "segment_min",
            lambda x: ops.segment_min(x, np.array([2, 0, 2]), 3),
            lambda x: _segments(x, [2, 0, 2], 3, np.minimum, np.inf),
            f32(3, 2),
            label="float",
        ),
        c(
            "segment_min",
            lambda x: ops.segment_min(x, np.array([0, 1, 1])),
            lambda x: _segments(x, [0, 1, 1], 2, np.minimum, np.iinfo(np.int32).max),
            i32(3),
            dtype="int32",
            label="int",
        ),
    ]


def _prod_cases():
    ids = np.array([0, 2, 0, 0])
    return [
        c(
            "segment_prod",
            lambda x: ops.segment_prod(x, ids, 4),
            lambda x: _segments(x, ids, 4, np.multiply, 1),
            f32(4, 2),
            label="float",
        ),
        c(
            "segment_prod",
            lambda x: ops.segment_prod(x, np.array([1, 1, 0])),
            lambda x: _segments(x, [1, 1, 0], 2, np.multiply, 1),
            i32(3),
            dtype="int32",
            label="int",
        ),
    ]


def _scatter_add(indices, values, shape):
    out = np.zeros(shape, values.dtype)
    np.add.at(out, tuple(indices.T), values)
    return out


def _assign(x, indices, value):
    out = x.copy()
    out[tuple(indices.T)] = value
    return out


def _block(x, start, value, size=(2, 2)):
    out = x.copy()
    out[start[0] : start[0] + size[0], start[1] : start[1] + size[1]] = value
    return out


def _segments(x, ids, n, combine, init):
    out = np.full((n, *x.shape[1:]), init, dtype=x.dtype)
    for i, s in enumerate(ids):
        out[s] = combine(out[s], x[i])
    return out


def _unique_rows(x):
    return np.unique(x, axis=0)


EAGER_CASES = [
    c(
        "unique",
        lambda x: ops.unique(x, axis=0),
        _unique_rows,
        np.array([[1, 2], [0, 5], [1, 2]], np.int32),
        dtype="int32",
        label="axis0",
    ),
    c(
        "unique",
        lambda x: ops.unique(x, axis=1, return_counts=True)[1],
        lambda x: np.unique(x, axis=1, return_counts=True)[1].astype(np.int32),
        np.array([[1, 1, 0], [2, 2, 5]], np.float32),
        dtype="int32",
        label="axis1_counts",
    ),
    c(
        "nonzero",
        lambda x: np.stack(ops.nonzero(x)),
        lambda x: np.stack(np.nonzero(x)).astype(np.int32),
        grid(3, 4),
        dtype="int32",
        label="2d",
    ),
    c(
        "nonzero",
        lambda x: ops.nonzero(x)[0],
        lambda x: np.nonzero(x)[0].astype(np.int32),
        i32(7),
        dtype="int32",
        label="1d",
    ),
    c("unique", ops.unique, np.unique, grid(3, 4), label="values"),
    c(
        "unique",
        lambda x: ops.unique(x, return_inverse=True)[1],
        lambda x: np.unique(x, return_inverse=True)[1].reshape(x.shape).astype(np.int32),
        i32(3, 4),
        dtype="int32",
        label="inverse",
    ),
    c(
        "bincount",
        ops.bincount,
        lambda x: np.bincount(x).astype(np.int32),
        i32(7, low=0, high=6),
        dtype="int32",
        label="eager_length",
    ),
]
MODEL_CASES = _sort_cases() + _index_cases() + _count_cases() + _scatter_cases() + _prod_cases()
CASES = MODEL_CASES + EAGER_CASES


@pytest.mark.parametrize("c", params(CASES))
def test_eager(c):
    check_eager(c)


@pytest.mark.parametrize("c", params(MODEL_CASES))
def test_in_model(c):
    check_model(c)


@pytest.mark.parametrize("c", params(MODEL_CASES))
def test_exported_onnx(c):
    check_onnx(c)


@pytest.mark.parametrize(
    "call,match",
    [
        (ops.nonzero, "nonzero cannot run inside a model"),
        (ops.unique, "Pass size"),
        (lambda x: ops.bincount(ops.cast(x, "int32")), "Pass minlength"),
        (lambda x: ops.segment_sum(x, ops.cast(x, "int32")), "num_segments"),
    ],
)
def test_data_dependent_lengths_refuse_to_trace(call, match):
    with pytest.raises(ValueError, match=match):
        call(kgraph.KerasTensor((3,), "float32"))


def test_errors():
    with pytest.raises(ValueError, match="k must be in"):
        ops.top_k(np.ones((2, 3), np.float32), 4)
    with pytest.raises(ValueError, match="side"):
        ops.searchsorted(np.ones(3, np.float32), 1.0, side="middle")
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(np.ones(3, np.float32), [[0]], [1.0], reduction="mean")
