"""Oracle: the deterministic initializers give Keras' values; the random ones its configs."""

from __future__ import annotations

import numpy as np
import pytest

from kgraph import initializers as ki
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS


@pytest.mark.parametrize(
    "name,args,shape",
    [
        ("Identity", {"gain": 2.0}, (3, 4)),
        ("STFT", {}, (16, 1, 9)),
        ("STFT", {"side": "imag", "window": "hamming", "periodic": True}, (10, 1, 6)),
        ("STFT", {"window": None, "scaling": None}, (6, 1, 4)),
        ("STFT", {"window": "blackman", "scaling": "spectrum"}, (12, 1, 7)),
    ],
)
def test_deterministic_values_match_keras(name, args, shape):
    got = getattr(ki, name)(**args)(shape)
    want = np.asarray(getattr(keras.initializers, name)(**args)(shape))
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("name", ["Orthogonal", "STFT"])
def test_configs_match_keras(name):
    assert getattr(ki, name)().get_config() == getattr(keras.initializers, name)().get_config()
