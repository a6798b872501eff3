"""Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test

REFERENCES = {
    layers.Add: lambda xs: functools.reduce(np.add, xs),
    layers.Multiply: lambda xs: functools.reduce(np.multiply, xs),
    layers.Average: lambda xs: functools.reduce(np.add, xs) / len(xs),
    layers.Maximum: lambda xs: functools.reduce(np.maximum, xs),
    layers.Minimum: lambda xs: functools.reduce(np.minimum, xs),
}


@pytest.mark.parametrize("count", [2, 3])
@pytest.mark.parametrize("cls", list(REFERENCES), ids=lambda c: c.__name__)
def test_elementwise_merge(cls, count):
    run_layer_test(
        cls,
        {},
        input_shape=[(2, 3, 4)] * count,
        expected_output_shape=(2, 3, 4),
        reference=lambda xs, w: REFERENCES[cls]([x.astype(np.float64) for x in xs]),
    )


@pytest.mark.parametrize("cls", list(REFERENCES), ids=lambda c: c.__name__)
def test_elementwise_merge_broadcasts_size_one_axes(cls):
    run_layer_test(
        cls,
        {},
        input_shape=[(2, 1, 4), (2, 3, 1)],
        expected_output_shape=(2, 3, 4),
        reference=lambda xs, w: REFERENCES[cls]([x.astype(np.float64) for x in xs]),
    )


def test_merge_of_different_ranks_inserts_axes_after_batch():
    run_layer_test(
        layers.Add,
        {},
        input_shape=[(2, 4), (2, 3, 4)],
        expected_output_shape=(2, 3, 4),
        reference=lambda xs, w: xs[0][:, None, :] + xs[1],
    )


def test_subtract():
    run_layer_test(
        layers.Subtract,
        {},
        input_shape=[(2, 5), (2, 5)],
        expected_output_shape=(2, 5),
        reference=lambda xs, w: xs[0] - xs[1],
    )


def test_subtract_needs_two_inputs():
    inputs = [kgraph.Input((3,)) for _ in range(3)]
    with pytest.raises(ValueError, match="exactly 2"):
        layers.Subtract()(inputs)


@pytest.mark.parametrize(
    "axis, shapes, expected",
    [
        (-1, [(2, 3, 4), (2, 3, 2)], (2, 3, 6)),
        (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)], (2, 6, 4)),
        (-2, [(2, 2, 3), (2, 4, 3)], (2, 6, 3)),
    ],
)
def test_concatenate(axis, shapes, expected):
    run_layer_test(
        layers.Concatenate,
        dict(axis=axis),
        input_shape=shapes,
        expected_output_shape=expected,
        reference=lambda xs, w: np.concatenate(xs, axis=axis),
    )


def test_functional_forms():
    a, b = kgraph.Input((3,)), kgraph.Input((3,))
    outputs = [
        layers.add([a, b]),
        layers.subtract([a, b]),
        layers.multiply([a, b]),
        layers.average([a, b]),
        layers.maximum([a, b]),
        layers.minimum([a, b]),
        layers.concatenate([a, b]),
    ]
    model = kgraph.Model([a, b], outputs)
    x, y = np.array([[1.0, -2.0, 3.0]], np.float32), np.array([[2.0, 2.0, -1.0]], np.float32)
    results = model.predict([x, y], verbose=0)
    expected = [
        x + y,
        x - y,
        x * y,
        (x + y) / 2,
        np.maximum(x, y),
        np.minimum(x, y),
        np.concatenate([x, y], -1),
    ]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_incompatible_shapes_name_layer_and_both_shapes():
    with pytest.raises(ValueError) as info:
        layers.Add(name="my_add")([kgraph.Input((3, 4)), kgraph.Input((3, 5))])
    message = str(info.value)
    assert "my_add" in message and "(3, 4)" in message and "(3, 5)" in message


def test_built_merge_rejects_incompatible_shapes():
    layer = layers.Multiply(name="my_mul")
    layer([kgraph.Input((4,)), kgraph.Input((4,))])
    with pytest.raises(ValueError, match=r"my_mul.*\(4,\).*\(6,\)"):
        layer([kgraph.Input((4,)), kgraph.Input((6,))])


def test_different_batch_sizes():
    a = kgraph.Input(batch_shape=(2, 3))
    b = kgraph.Input(batch_shape=(4, 3))
    with pytest.raises(ValueError, match="batch sizes"):
        layers.Maximum()([a, b])


def test_concatenate_mismatch_names_layer_and_shapes():
    with pytest.raises(ValueError) as info:
        layers.Concatenate(axis=-1, name="my_concat")([kgraph.Input((3, 4)), kgraph.Input((2, 4))])
    message = str(info.value)
    assert "my_concat" in message and "(None, 3, 4)" in message and "(None, 2, 4)" in message


def test_merge_needs_a_list():
    with pytest.raises(ValueError, match="list"):
        layers.Add()(kgraph.Input((3,)))
