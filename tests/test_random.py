"""``kgraph.random.dropout``: the op behind the Dropout layer."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import random


def test_eager_dropout_values():
    x = np.full((16, 32), 3.0, np.float32)
    y = random.dropout(x, 0.25, seed=1)
    assert y.shape == x.shape and y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, 4.0}


def test_rate_zero_keeps_everything():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(random.dropout(x, 0.0), x)


def test_noise_shape():
    y = random.dropout(np.ones((4, 6, 8), np.float32), 0.5, noise_shape=(4, 1, 8))
    assert np.all(y == y[:, :1, :])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rate=1.0), "rate"),
        (dict(rate=-0.5), "rate"),
        (dict(rate=0.5, noise_shape=(3, 1)), "noise_shape"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random.dropout(np.ones((4, 5), np.float32), **kwargs)


def test_integer_input_rejected():
    with pytest.raises(ValueError, match="floating"):
        random.dropout(np.ones((2, 2), np.int32), 0.5)


def test_seed_generator_and_integer_seeds():
    x = np.ones((8, 8), np.float32)
    generator = random.SeedGenerator(1)
    assert not np.array_equal(
        random.dropout(x, 0.5, seed=generator), random.dropout(x, 0.5, seed=generator)
    )
    np.testing.assert_array_equal(random.dropout(x, 0.5, seed=3), random.dropout(x, 0.5, seed=3))
