"""Oracle: MultiOptimizer with an OptimizerMap (regex keys, a default) or a selector function
fits like Keras' MultiOptimizer: same final weights, each sub-optimizer with its own rate (one
of them a schedule, one of them assigned mid-training)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]


def _model(lib):
    inputs = lib.Input((5,))
    h = lib.layers.Dense(6, activation="tanh", name="encoder_a")(inputs)
    h = lib.layers.Dense(4, activation="tanh", name="encoder_b")(h)
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(h))


def _map_optimizer(lib):
    schedule = lib.optimizers.schedules.ExponentialDecay(0.05, 2, 0.5)
    mapping = lib.optimizers.OptimizerMap(default_optimizer=lib.optimizers.SGD(0.1))
    mapping["encoder_.*"] = lib.optimizers.Adam(schedule)
    mapping["head/bias"] = lib.optimizers.RMSprop(0.01, clipnorm=0.5)
    return lib.optimizers.MultiOptimizer(mapping)


def _function_optimizer(lib):
    adam, sgd = lib.optimizers.Adam(0.02), lib.optimizers.SGD(0.05, momentum=0.5)
    return lib.optimizers.MultiOptimizer(lambda v: adam if "kernel" in v.path else sgd)


@pytest.mark.parametrize("make", [_map_optimizer, _function_optimizer], ids=["map", "function"])
def test_fit_matches_keras(make):
    ours, theirs = _model(kgraph), _model(keras)
    theirs.set_weights(ours.get_weights())
    for model, lib in ((ours, kgraph), (theirs, keras)):
        optimizer = make(lib)
        if lib is kgraph and make is _function_optimizer:
            optimizer.build(model.trainable_variables)
        model.compile(optimizer=optimizer, loss="mse")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(24, 5)).astype(np.float32)
    y = rng.normal(size=(24, 2)).astype(np.float32)
    args = {"batch_size": 8, "shuffle": False, "verbose": 0}
    ours_loss = ours.fit(x, y, epochs=2, **args).history["loss"]
    theirs_loss = theirs.fit(x, y, epochs=2, **args).history["loss"]
    for model in (ours, theirs):  # a live rate change of the last sub-optimizer
        model.optimizer.optimizers[-1].learning_rate = 0.005
    ours_loss += ours.fit(x, y, **args).history["loss"]
    theirs_loss += theirs.fit(x, y, **args).history["loss"]
    np.testing.assert_allclose(ours_loss, theirs_loss, rtol=1e-4)
    for want, have in zip(theirs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(have, want, rtol=2e-4, atol=2e-6)
