"""Oracle: optimizer state saved by kgraph loads into Keras and back, also for the optimizers
whose step-graph layout differs from Keras' (Nadam's shared product, Adafactor's unused
scalars): no "Skipping variable loading" warning, equal values in Keras' order."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]
NAMES = ["Nadam", "Adafactor", "Adamax", "Lion", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW"]


def _model(lib):
    inputs = lib.Input((3,))
    h = lib.layers.Dense(4, name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="out")(h))


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 3)).astype(np.float32), rng.normal(size=(8, 2)).astype(np.float32)


@pytest.mark.parametrize("name", NAMES)
def test_kgraph_state_loads_into_keras(name, tmp_path):
    model = _model(kgraph)
    model.compile(getattr(kgraph.optimizers, name)(0.01), "mse")
    model.fit(*_data(), batch_size=4, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        loaded = keras.models.load_model(path)
    theirs = [np.asarray(v.value) for v in loaded.optimizer.variables]
    ours = [np.asarray(v.numpy()) for v in model.optimizer.variables]
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("name", ["Nadam", "Adafactor"])
def test_keras_state_loads_into_kgraph(name, tmp_path):
    model = _model(keras)
    model.compile(getattr(keras.optimizers, name)(0.01), "mse")
    model.fit(*_data(), batch_size=4, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = kgraph.models.load_model(path)
    loaded.fit(*_data(), batch_size=8, epochs=0, verbose=0)  # sets training up, no step
    theirs = [np.asarray(v.value) for v in model.optimizer.variables]
    ours = [np.asarray(v.numpy()) for v in loaded.optimizer.variables]
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b, a, rtol=1e-6)
