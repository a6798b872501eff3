"""``clone_model`` of a compiled Sequential or Functional model compiles the clone from the
original's compile config (Keras does, with a fresh optimizer), so it trains at once."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers


def _sequential():
    return kgraph.Sequential([kgraph.Input((3,)), layers.Dense(2, name="d")])


def _functional():
    inputs = kgraph.Input((3,))
    return kgraph.Model(inputs, layers.Dense(2, name="d")(inputs))


@pytest.mark.parametrize("build", [_sequential, _functional], ids=["sequential", "functional"])
def test_clone_of_a_compiled_model_is_compiled_alike(build):
    model = build()
    model.compile(optimizer=kgraph.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    clone = kgraph.models.clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert isinstance(clone.optimizer, kgraph.optimizers.SGD)
    assert float(clone.optimizer.learning_rate) == pytest.approx(0.1)
    clone.set_weights(model.get_weights())
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    kernel, bias = clone.get_weights()
    history = clone.fit(x, y, batch_size=4, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    pred = x @ kernel + bias  # one SGD step on the mean squared error, in numpy
    want_kernel = kernel - 0.1 * x.T @ (2 * pred / pred.size)
    np.testing.assert_allclose(clone.get_weights()[0], want_kernel, rtol=1e-5, atol=1e-6)


def test_clone_of_an_uncompiled_model_stays_uncompiled():
    assert not kgraph.models.clone_model(_functional()).compiled
