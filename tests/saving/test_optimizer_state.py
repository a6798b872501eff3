"""Optimizer state travels with the model: after ``load_model`` training continues on the same
loss trajectory as a run that never stopped."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers


def _model(optimizer):
    model = kgraph.Sequential(
        [kgraph.Input((5,)), layers.Dense(8, activation="tanh"), layers.Dense(1)]
    )
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in model.weights])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 5)).astype(np.float32)
    return x, np.sin(x.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(
    "make_optimizer",
    [lambda: kgraph.optimizers.Adam(0.05), lambda: kgraph.optimizers.SGD(0.1, momentum=0.9)],
)
def test_resumed_training_matches_uninterrupted(tmp_path, make_optimizer):
    x, y = _data()
    straight = _model(make_optimizer())
    full = straight.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0).history["loss"]
    first = _model(make_optimizer())
    first.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    first.save(tmp_path / "ckpt.keras")
    resumed = kgraph.models.load_model(tmp_path / "ckpt.keras")
    assert resumed.optimizer.iterations == 8
    rest = resumed.fit(x, y, batch_size=8, epochs=4, initial_epoch=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(rest.history["loss"], full[2:], rtol=1e-5)


def test_optimizer_variables_are_saved_in_keras_order(tmp_path):
    import h5py

    x, y = _data()
    model = _model(kgraph.optimizers.Adam(0.01))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    expected = [np.asarray(v.numpy()) for v in model.optimizer.variables]
    assert len(expected) == 2 + 2 * len(model.trainable_weights)
    with h5py.File(tmp_path / "m.weights.h5", "r") as h5:
        group = h5["optimizer/vars"]
        assert group.attrs["name"] == model.optimizer.name
        saved = [group[str(i)][()] for i in range(len(group))]
    assert int(saved[0]) == 2
    for got, want in zip(saved, expected):
        np.testing.assert_array_equal(got, want)
