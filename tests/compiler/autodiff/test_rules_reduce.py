"""Reduce* gradient rules: axes as input or attribute, keepdims, all axes, ties."""

from __future__ import annotations

import numpy as np
import pytest
from harness_vjp import check_graph_vjp, check_vjp

RNG = np.random.default_rng(2)
OPS = [
    "ReduceSum",
    "ReduceMean",
    "ReduceMax",
    "ReduceMin",
    "ReduceProd",
    "ReduceSumSquare",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSumExp",
]
AXES = [[1], [0, 2], [-1], None]


def data(op_type):
    x = RNG.uniform(0.5, 1.5, (2, 3, 4)) * RNG.choice([-1.0, 1.0], (2, 3, 4))
    return np.abs(x) if op_type in ("ReduceL2",) else x


@pytest.mark.parametrize("op_type", OPS)
@pytest.mark.parametrize("axes", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [0, 1])
def test_axes_input(op_type, axes, keepdims):
    inputs = [data(op_type)] + ([] if axes is None else [np.array(axes, dtype=np.int64)])
    check_vjp(op_type, inputs, {"keepdims": keepdims})


@pytest.mark.parametrize("op_type", [op for op in OPS if op != "ReduceSum"])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_axes_attribute_opset_17(op_type, keepdims):
    check_vjp(op_type, [data(op_type)], {"axes": [0, 2], "keepdims": keepdims}, opset=17)


@pytest.mark.parametrize("op_type", ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceProd"])
def test_symbolic_batch(op_type):
    for axes in ([0], [1, 2]):
        check_vjp(
            op_type, [data(op_type), np.array(axes, dtype=np.int64)], {"keepdims": 0}, batch=True
        )


@pytest.mark.parametrize("op_type", ["ReduceSum", "ReduceMax"])
def test_noop_with_empty_axes(op_type):
    check_vjp(op_type, [data(op_type), np.zeros(0, dtype=np.int64)], {"noop_with_empty_axes": 1})


def test_axes_computed_at_run_time():
    def build(b, values):
        axes = b.op("Shape", [values[1]])  # shape of a (1,) tensor: axes = [1]
        return [b.op("ReduceMean", [values[0], axes], {"keepdims": 0})]

    check_graph_vjp(build, [data("ReduceMean"), np.zeros(1, dtype=np.int64)], wrt=[0], check=False)


@pytest.mark.parametrize("op_type,pick,sign", [("ReduceMax", np.max, 1), ("ReduceMin", np.min, -1)])
def test_ties_share_the_gradient(op_type, pick, sign):
    x = sign * np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 2.0]])
    result = check_vjp(op_type, [x, np.array([1], dtype=np.int64)], {"keepdims": 0}, numeric=False)
    grad = result.analytic[0]
    ties = x == pick(x, axis=1, keepdims=True)
    np.testing.assert_allclose(grad[~ties], 0.0)
    cotangent = check_vjp(
        "ReduceSum", [x, np.array([1], dtype=np.int64)], {"keepdims": 0}, numeric=False
    ).analytic[0][:, 0]  # same seed, same cotangent
    np.testing.assert_allclose(grad.sum(axis=1), cotangent)
    np.testing.assert_allclose(grad[0, 1:3], cotangent[0] / 2)
    np.testing.assert_allclose(grad[1], cotangent[1] / 4)


@pytest.mark.parametrize("zeros", [1, 2])
def test_prod_with_zeros(zeros):
    x = RNG.uniform(0.5, 1.5, (3, 4))
    x[0, :zeros] = 0.0
    x[2, 3] = 0.0
    check_vjp("ReduceProd", [x, np.array([1], dtype=np.int64)], {"keepdims": 1})
