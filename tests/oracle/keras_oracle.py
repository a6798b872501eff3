"""Real Keras 3 on JAX for the oracle tests: imported here once, with a clean skip when it is
missing or another backend was chosen before these tests imported it."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
pytest.importorskip("jax")

if keras.backend.backend() != "jax":
    pytest.skip("needs KERAS_BACKEND=jax", allow_module_level=True)

#: ``pytestmark`` of every Keras oracle module (Keras' variables trip a numpy 2 warning).
MARKS = [
    pytest.mark.oracle,
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]


def draw_keras_initial_weights_with_numpy(monkeypatch, seed=0) -> None:
    """Keras' jax backend compiles one random kernel per distinct weight shape (most of the
    time a zoo model's build takes); oracle tests that overwrite or only need random weights
    let numpy draw them instead."""
    import numpy as np
    from keras.src.backend import random

    rng = np.random.default_rng(seed)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return rng.uniform(minval, maxval, shape).astype(dtype or "float32")

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return rng.normal(mean, stddev, shape).astype(dtype or "float32")

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        x = np.clip(rng.normal(0.0, 1.0, shape), -2.0, 2.0)
        return (mean + stddev * x).astype(dtype or "float32")

    for name, function in [
        ("uniform", uniform),
        ("normal", normal),
        ("truncated_normal", truncated_normal),
    ]:
        monkeypatch.setattr(random, name, function)
