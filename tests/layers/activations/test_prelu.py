"""``PReLU`` against numpy: a learned slope per unit (or per shared-axis group)."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import layers
from tests.harness import run_layer_test


@pytest.mark.parametrize(
    "kwargs, shape, alpha_shape",
    [(dict(), (2, 3, 4), (3, 4)), (dict(shared_axes=[1, 2]), (2, 3, 4, 5), (1, 1, 5))],
)
def test_prelu(kwargs, shape, alpha_shape):
    result = run_layer_test(
        layers.PReLU,
        kwargs,
        shape,
        shape,
        lambda x, w: np.where(x > 0, x, w[0] * x),
        expected_num_trainable_weights=1,
    )
    assert result.weights[0].shape == alpha_shape
    assert result.layer.weights[0].name == "alpha"


def test_prelu_starts_as_relu():
    x = np.array([[-2.0, 3.0]], np.float32)
    np.testing.assert_array_equal(layers.PReLU()(x), [[0.0, 3.0]])
