"""Oracle: ``fit`` with the added optimizers and options ends with Keras' weights (JAX backend).

The same two-layer model starts from the same weights and fits three batches for two epochs
with ``shuffle=False``; Keras' final weights (with ``use_ema``: the EMA weights Keras writes at
the end of ``fit``) match kgraph's."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]

CASES = {
    "adamax": lambda lib: lib.optimizers.Adamax(0.01),
    "nadam": lambda lib: lib.optimizers.Nadam(0.01),
    "lion": lambda lib: lib.optimizers.Lion(0.001),
    "adadelta": lambda lib: lib.optimizers.Adadelta(1.0),
    "ftrl": lambda lib: lib.optimizers.Ftrl(0.05, l2_regularization_strength=0.01),
    "adafactor": lambda lib: lib.optimizers.Adafactor(0.05),
    "muon": lambda lib: lib.optimizers.Muon(0.01),
    "lamb": lambda lib: lib.optimizers.Lamb(0.01),
    "schedule_free": lambda lib: lib.optimizers.ScheduleFreeAdamW(0.01, warmup_steps=2),
    "adam_ema": lambda lib: lib.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.8),
    "sgd_accumulate": lambda lib: lib.optimizers.SGD(0.05, gradient_accumulation_steps=2),
    "loss_scale": lambda lib: lib.optimizers.LossScaleOptimizer(
        lib.optimizers.Adam(0.01), initial_scale=8.0, dynamic_growth_steps=2
    ),
    "schedule": lambda lib: lib.optimizers.Nadam(
        lib.optimizers.schedules.CosineDecayRestarts(0.02, 2, t_mul=1.5, m_mul=0.7)
    ),
}


def _model(lib):
    inputs = lib.Input((5,))
    x = lib.layers.Dense(6, activation="tanh", name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(3, name="out")(x))


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_matches_keras(case):
    ours, theirs = _model(kgraph), _model(keras)
    theirs.set_weights(ours.get_weights())
    for model, lib in ((ours, kgraph), (theirs, keras)):
        model.compile(optimizer=CASES[case](lib), loss="mse")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(24, 5)).astype(np.float32)
    y = rng.normal(size=(24, 3)).astype(np.float32)
    before = ours.get_weights()
    args = {"batch_size": 8, "epochs": 2, "shuffle": False, "verbose": 0}
    ours_loss = ours.fit(x, y, **args).history["loss"]
    theirs_loss = theirs.fit(x, y, **args).history["loss"]
    np.testing.assert_allclose(ours_loss, theirs_loss, rtol=1e-4)
    for old, want, have in zip(before, theirs.get_weights(), ours.get_weights()):
        assert np.abs(want - old).max() > 1e-5
        np.testing.assert_allclose(have, want, rtol=2e-4, atol=2e-6)
