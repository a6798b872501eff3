"""Reshape and Permute layers."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from tests.harness import run_layer_test


@pytest.mark.parametrize(
    "shape, target, expected",
    [
        ((2, 12), (3, 4), (2, 3, 4)),
        ((2, 4, 6), (-1, 3), (2, 8, 3)),
        ((2, 4, 6), (2, -1, 2), (2, 2, 6, 2)),
        ((2, 2, 3, 4), (24,), (2, 24)),
        ((2, 6), (6, 1), (2, 6, 1)),
    ],
)
def test_reshape(shape, target, expected):
    run_layer_test(
        layers.Reshape,
        dict(target_shape=target),
        input_shape=shape,
        expected_output_shape=expected,
        reference=lambda x, w: x.reshape(x.shape[0], *target),
    )


def test_reshape_unknown_dim_with_minus_one():
    x = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    run_layer_test(
        layers.Reshape,
        dict(target_shape=(-1, 6)),
        input_shape=(2, None, 3),
        expected_output_shape=(2, None, 6),
        input_data=x,
        reference=lambda x, w: x.reshape(2, -1, 6),
    )


def test_reshape_incompatible_size_names_layer_and_shapes():
    with pytest.raises(ValueError) as info:
        layers.Reshape((5,), name="my_reshape")(kgraph.Input((2, 3)))
    message = str(info.value)
    assert "my_reshape" in message and "(2, 3)" in message and "(5,)" in message


@pytest.mark.parametrize("target", [(-1, -1), (0, 3), (-2, 3)])
def test_reshape_validation(target):
    with pytest.raises(ValueError, match="target_shape"):
        layers.Reshape(target)


@pytest.mark.parametrize("dims", [(2, 1), (1, 2), (3, 1, 2), (2, 3, 1)])
def test_permute(dims):
    shape = (2, 3, 4, 5)[: len(dims) + 1]
    expected = (2, *(shape[d] for d in dims))
    run_layer_test(
        layers.Permute,
        dict(dims=dims),
        input_shape=shape,
        expected_output_shape=expected,
        reference=lambda x, w: np.transpose(x, (0, *dims)),
    )


@pytest.mark.parametrize("dims", [(0, 1), (1, 3), (2, 2)])
def test_permute_validation(dims):
    with pytest.raises(ValueError, match="dims"):
        layers.Permute(dims)


def test_permute_wrong_rank():
    with pytest.raises(ValueError, match="ndim=3"):
        layers.Permute((2, 1))(kgraph.Input((2, 3, 4)))
