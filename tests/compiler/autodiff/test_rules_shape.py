"""Gradient rules of data-movement ops against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_vjp

RNG = np.random.default_rng(3)


def normal(*shape):
    return RNG.standard_normal(shape)


def i64(*values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("target", [(6, 4), (-1,), (0, -1), (2, 3, 2, 2)], ids=str)
def test_reshape(target):
    check_vjp("Reshape", [normal(2, 3, 4), i64(*target)], {})


def test_reshape_symbolic_batch():
    check_vjp("Reshape", [normal(2, 3, 4), i64(0, -1)], {}, batch=True)


@pytest.mark.parametrize("perm", [None, [0, 2, 1], [2, 0, 1], [1, 2, 0]], ids=str)
def test_transpose(perm):
    check_vjp("Transpose", [normal(2, 3, 4)], {} if perm is None else {"perm": perm})


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_flatten(axis):
    check_vjp("Flatten", [normal(2, 3, 4)], {"axis": axis})


@pytest.mark.parametrize("axes", [[1], [1, 3], [-1]], ids=str)
def test_squeeze(axes):
    check_vjp("Squeeze", [normal(2, 1, 3, 1), i64(*axes)], {})


def test_squeeze_all():
    check_vjp("Squeeze", [normal(1, 3, 1)], {})


@pytest.mark.parametrize("axes", [[0], [1, 3], [-1]], ids=str)
def test_unsqueeze(axes):
    check_vjp("Unsqueeze", [normal(2, 3), i64(*axes)], {}, batch=True)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for k, shape in enumerate(shapes):
        shape[axis] += k
    check_vjp("Concat", [normal(*s) for s in shapes], {"axis": axis}, wrt=[0, 1, 2])


def test_concat_symbolic_axis_sizes():
    check_vjp("Concat", [normal(2, 3), normal(3, 3)], {"axis": 0}, wrt=[0, 1], batch=True)


def test_concat_with_a_constant():
    check_vjp("Concat", [normal(2, 3), normal(2, 1)], {"axis": 1}, wrt=[0])


def test_concat_single_input():
    check_vjp("Concat", [normal(2, 3)], {"axis": 1})


@pytest.mark.parametrize(
    "inputs,attrs,outs",
    [
        ([i64(1, 3)], {"axis": 1}, 2),
        ([], {"axis": 0, "num_outputs": 2}, 2),
        ([i64(2, 1, 1)], {"axis": -1}, 3),
    ],
)
def test_split(inputs, attrs, outs):
    check_vjp("Split", [normal(4, 4, 4), *inputs], attrs, num_outputs=outs)


def test_split_unused_output_gets_zeros():
    check_vjp("Split", [normal(4, 6), i64(2, 4)], {"axis": 1}, num_outputs=2, loss_outputs=[1])


@pytest.mark.parametrize(
    "starts,ends,axes,steps",
    [
        ([1], [3], None, None),
        ([0, 1], [2, 4], [0, 2], None),
        ([0, 3], [4, 0], [1, 2], [2, -1]),
        ([-3], [100], [-1], [2]),
        ([3], [-100], [1], [-2]),
    ],
)
def test_slice(starts, ends, axes, steps):
    inputs = [normal(3, 4, 5), i64(*starts), i64(*ends)]
    if axes is not None:
        inputs.append(i64(*axes))
    if steps is not None:
        inputs.append(i64(*steps))
    check_vjp("Slice", inputs, {})


def test_slice_symbolic_batch():
    check_vjp("Slice", [normal(3, 4, 5), i64(1), i64(4), i64(2)], {}, batch=True)


@pytest.mark.parametrize(
    "indices,axis",
    [
        (i64(0, 2, 2), 0),
        (i64(1, 0, 1, 1), 1),
        (np.array([[0, -1], [2, 2]], dtype=np.int64), -1),
        (np.array(1, dtype=np.int64), 1),
        (np.array([[1, 0, 1]], dtype=np.int32), 2),
    ],
)
def test_gather(indices, axis):
    check_vjp("Gather", [normal(3, 4, 5), indices], {"axis": axis})


def test_gather_symbolic_batch():
    check_vjp("Gather", [normal(3, 4), i64(1, 1, -1)], {"axis": 1}, batch=True)


@pytest.mark.parametrize(
    "source,target", [((3, 1), (2, 3, 4)), ((4,), (3, 4)), ((1, 1), (2, 2)), ((2, 3), (2, 3))]
)
def test_expand(source, target):
    check_vjp("Expand", [normal(*source), i64(*target)], {})


@pytest.mark.parametrize(
    "pads,axes",
    [
        ([1, 0, 2, 1], None),
        ([0, 2, 0, 1, 1, 0], None),
        ([-1, 1, 1, -2], None),
        ([1, 2], [1]),
    ],
)
def test_pad(pads, axes):
    rank = len(pads) // 2 if axes is None else 3
    x = normal(*[3, 4, 5][:rank])
    inputs = [x, i64(*pads), np.array(0.5)] + ([] if axes is None else [i64(*axes)])
    check_vjp("Pad", inputs, {"mode": "constant"})


def test_pad_reflect():  # more modes in test_rules_arrays.py
    check_vjp("Pad", [normal(3, 4), i64(1, 1, 1, 1)], {"mode": "reflect"})
