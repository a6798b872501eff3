"""``stop_gradient``: the identity in values, a constant for differentiation."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers, ops
from tests.ops.opcheck import case, check_eager, check_model, check_onnx, f32, i32, params

CASES = [
    case("stop_gradient", ops.stop_gradient, lambda x: x, f32(3, 4), label="float"),
    case("stop_gradient", ops.stop_gradient, lambda x: x, i32(3, 4), dtype="int32", label="int"),
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


def test_no_gradient_flows_through():
    inputs = kgraph.Input((3,))
    frozen, free = layers.Dense(1, name="frozen"), layers.Dense(1, name="free")
    stopped = layers.Lambda(ops.stop_gradient)(frozen(inputs))
    model = kgraph.Model(inputs, layers.Add()([stopped, free(inputs)]))
    before = [w.numpy() for w in frozen.weights + free.weights]
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.standard_normal((16, 3)), rng.standard_normal((16, 1)), epochs=2, verbose=0)
    after = [w.numpy() for w in frozen.weights + free.weights]
    assert all(np.array_equal(a, b) for a, b in zip(before[:2], after[:2]))
    assert not np.allclose(before[2], after[2])
