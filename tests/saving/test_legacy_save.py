"""``model.save("m.h5")`` writes Keras' legacy whole-model HDF5 file (with Keras' warning):
config, compile arguments and weights, moving statistics included; kgraph loads it back
with the same predictions and compiled as saved, and a ModelCheckpoint may name an .h5 file."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import kgraph
from kgraph import layers

RNG = np.random.default_rng(0)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _trained():
    inputs = kgraph.Input((3,), name="x")
    hidden = layers.Dense(4, activation="relu", name="h")(inputs)
    outputs = layers.Dense(2, name="o")(layers.BatchNormalization(name="bn")(hidden))
    model = kgraph.Model(inputs, outputs, name="m")
    model.compile(optimizer=kgraph.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    model.fit(RNG.random((16, 3)), RNG.random((16, 2)), verbose=0)
    return model


def test_save_h5_round_trip(tmp_path):
    model = _trained()
    path = tmp_path / "m.h5"
    with pytest.warns(UserWarning, match="HDF5 file via `model.save\\(\\)`"):
        model.save(path)
    with h5py.File(path, "r") as h5:
        names = [_text(n) for n in h5["model_weights"].attrs["layer_names"]]
        assert names == ["x", "h", "bn", "o"]
        bn = h5["model_weights"]["bn"]
        stored = [bn[_text(n)][()] for n in bn.attrs["weight_names"]]
    want = [w.numpy() for w in model.get_layer("bn").weights]  # gamma, beta, then moving stats
    for have, expected in zip(stored, want):
        np.testing.assert_array_equal(have, expected)
    loaded = kgraph.models.load_model(path)
    x = RNG.random((4, 3), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled and isinstance(loaded.optimizer, kgraph.optimizers.Adam)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)


def test_checkpoint_to_an_h5_file(tmp_path):
    model = _trained()
    path = str(tmp_path / "best.h5")
    checkpoint = kgraph.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True)
    with pytest.warns(UserWarning, match="legacy"):
        model.fit(RNG.random((8, 3)), RNG.random((8, 2)), verbose=0, callbacks=[checkpoint])
    loaded = kgraph.models.load_model(path)
    x = RNG.random((2, 3), dtype=np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
