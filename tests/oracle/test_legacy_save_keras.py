"""Oracle: the legacy .h5 file kgraph's ``model.save("m.h5")`` writes loads in real Keras
(``compile=False``: Keras 3.15 cannot compile its own .h5 files with a string loss, "Could not
deserialize 'keras.metrics.mse'") with the same predictions, batch-norm statistics
included."""

from __future__ import annotations

import warnings

import numpy as np

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS


def test_keras_loads_kgraph_h5(tmp_path):
    rng = np.random.default_rng(1)
    inputs = kgraph.Input((5,), name="x")
    hidden = kgraph.layers.Dense(6, activation="tanh", name="h")(inputs)
    hidden = kgraph.layers.BatchNormalization(name="bn")(hidden)
    model = kgraph.Model(inputs, kgraph.layers.Dense(3, name="o")(hidden), name="m")
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.random((32, 5)), rng.random((32, 3)), verbose=0, epochs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "m.h5")
    theirs = keras.models.load_model(tmp_path / "m.h5", compile=False)
    assert [layer.name for layer in theirs.layers] == ["x", "h", "bn", "o"]
    x = rng.random((4, 5), dtype=np.float32)
    np.testing.assert_allclose(
        theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
