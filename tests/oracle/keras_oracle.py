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
