"""Targets given only for the outputs that have a loss (``loss=[fn, None]`` and one ``y``, as
keras.io's miniature GPT trains): Keras maps them to those outputs in order."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers


def _model(order):
    inputs = kgraph.Input((3,))
    hidden = layers.Dense(4, name="h")(inputs)
    out = layers.Dense(2, name="o")(hidden)
    outputs = [out, hidden] if order == "loss_first" else [hidden, out]
    model = kgraph.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss=["mse", None] if order == "loss_first" else [None, "mse"])
    return model


@pytest.mark.parametrize("order", ["loss_first", "loss_second"])
def test_one_target_goes_to_the_output_with_a_loss(order):
    model = _model(order)
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 3), dtype=np.float32), rng.random((8, 2), dtype=np.float32)
    (hk, hb), (ok, ob) = model.get_layer("h").get_weights(), model.get_layer("o").get_weights()
    want = np.mean(np.square((x @ hk + hb) @ ok + ob - y))
    got = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(got[0] if isinstance(got, list) else got, want, rtol=1e-5)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_a_target_count_matching_neither_is_refused():
    model = _model("loss_first")
    with pytest.raises(ValueError, match="2 outputs but y has 3 entries"):
        model.fit(np.ones((4, 3)), [np.ones((4, 2))] * 3, verbose=0)
