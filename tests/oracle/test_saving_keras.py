"""Oracle: ``.keras`` and ``.weights.h5`` files cross between real Keras 3 (JAX, CPU) and
kgraph both ways, and the loaded model predicts what the saved one did (≤ 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras
from tests.saving.models import (
    functional_bn,
    sample,
    seed_functional,
    seed_sequential,
    set_distinct_weights,
)

pytestmark = [*MARKS, pytest.mark.usefixtures("numpy_initial_weights")]
BUILDERS = [seed_sequential, seed_functional, functional_bn]


def _close(got, want):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build", BUILDERS)
def test_keras_file_loads_in_kgraph(tmp_path, build):
    theirs = build(keras)
    set_distinct_weights(theirs)
    theirs.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = sample(theirs)
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert ours.compiled and isinstance(ours.optimizer, kgraph.optimizers.Adam)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")  # untrained: no slots
def test_kgraph_file_loads_in_keras(tmp_path, build):
    ours = build(kgraph)
    set_distinct_weights(ours)
    ours.compile(optimizer=kgraph.optimizers.SGD(0.01, momentum=0.9), loss="mse")
    x = sample(ours)
    ours.save(tmp_path / "g.keras")
    theirs = keras.models.load_model(tmp_path / "g.keras")
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in ours.layers]
    _close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))
    assert isinstance(theirs.optimizer, keras.optimizers.SGD)
    assert float(theirs.optimizer.momentum) == pytest.approx(0.9)


def _regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype(np.float32)
    return x, np.tanh(x[:, :2]).astype(np.float32)


def _mlp(lib):
    return lib.Sequential(
        [lib.Input((6,)), lib.layers.Dense(8, activation="tanh"), lib.layers.Dense(2)]
    )


def test_trained_keras_model_keeps_training_the_same_in_kgraph(tmp_path):
    """Optimizer state written by Keras (Adam moments, iterations) resumes in kgraph: one more
    epoch in each library gives the same loss."""
    x, y = _regression()
    theirs = _mlp(keras)
    set_distinct_weights(theirs)
    theirs.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    assert ours.optimizer.iterations == 8
    want = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    got = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_trained_kgraph_model_keeps_training_the_same_in_keras(tmp_path):
    """And the other way: kgraph's Adam state, saved in Keras' order, resumes in Keras."""
    x, y = _regression()
    ours = _mlp(kgraph)
    set_distinct_weights(ours)
    ours.compile(optimizer=kgraph.optimizers.Adam(0.02), loss="mse")
    ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    ours.save(tmp_path / "g.keras")
    theirs = keras.models.load_model(tmp_path / "g.keras")
    assert int(theirs.optimizer.iterations) == 8
    want = ours.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    got = theirs.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    _close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))


@pytest.mark.parametrize("build", [seed_sequential, functional_bn])
def test_weights_files_cross_both_ways(tmp_path, build):
    ours, theirs = build(kgraph), build(keras)
    set_distinct_weights(theirs, seed=3)
    theirs.save_weights(tmp_path / "k.weights.h5")
    ours.load_weights(tmp_path / "k.weights.h5")
    x = sample(ours)
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    set_distinct_weights(ours, seed=4)
    ours.save_weights(tmp_path / "g.weights.h5")
    theirs.load_weights(tmp_path / "g.weights.h5")
    _close(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_keras_sequential_built_without_input(tmp_path):
    theirs = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
    theirs.build((None, 6))
    set_distinct_weights(theirs)
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 6)
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


@keras.saving.register_keras_serializable("saving_oracle", name="Two")
class KerasTwo(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(3)
        self.norm = keras.layers.BatchNormalization()

    def call(self, x):
        return self.norm(self.dense(x))


@kgraph.saving.register_keras_serializable("saving_oracle", name="Two")
class KgraphTwo(kgraph.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = kgraph.layers.Dense(3)
        self.norm = kgraph.layers.BatchNormalization()

    def call(self, x):
        return self.norm(self.dense(x))


def test_subclassed_models_cross_under_one_registered_name(tmp_path):
    """Attribute paths (``dense/vars``, ``norm/vars``) match, so a registered subclass saved by
    one library loads into the other's class of the same registered name."""
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    theirs = KerasTwo()
    theirs(x)
    set_distinct_weights(theirs)
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    assert type(ours) is KgraphTwo
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    set_distinct_weights(ours, seed=5)
    ours.save(tmp_path / "g.keras")
    back = keras.models.load_model(tmp_path / "g.keras")
    assert type(back) is KerasTwo
    _close(back.predict(x, verbose=0), ours.predict(x, verbose=0))


def test_keras_ops_between_layers_load_and_save_back(tmp_path):
    """Keras' op nodes (``ops.relu(h)``, ``h + 1``, ``x[:, :2]``, ``ops.concatenate``) replay
    with kgraph.ops, stay out of ``model.layers``, and are written back in Keras' spelling."""
    inputs = keras.Input((4,), name="x")
    h = keras.ops.relu(keras.layers.Dense(3, name="d")(inputs)) + 1.0
    outputs = keras.ops.concatenate([h, inputs[:, :2]], axis=-1)
    theirs = keras.Model(inputs, outputs)
    set_distinct_weights(theirs)
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    assert [layer.name for layer in ours.layers] == ["x", "d"]
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    ours.save(tmp_path / "g.keras")
    back = keras.models.load_model(tmp_path / "g.keras")
    _close(back.predict(x, verbose=0), theirs.predict(x, verbose=0))


@pytest.mark.filterwarnings("ignore:.*HDF5.*")
def test_keras_legacy_h5_model_loads(tmp_path):
    """Keras 3's legacy writer (``model.save("m.h5")``): config, weights and compile info."""
    theirs = functional_bn(keras)
    set_distinct_weights(theirs)
    theirs.compile(optimizer=keras.optimizers.Adam(0.003), loss="mse")
    theirs.save(tmp_path / "k.h5")
    ours = kgraph.models.load_model(tmp_path / "k.h5")
    x = sample(theirs)
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert ours.compiled and float(ours.optimizer.learning_rate) == pytest.approx(0.003)


def _two_in_two_out(lib):
    """Dict inputs and outputs, a layer shared at two depths, and a merge."""
    layers = lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((3,), name="b")
    shared = layers.Dense(4, name="shared")
    h = layers.Concatenate(name="cat")([shared(a), layers.Dense(4, name="pb")(b)])
    h2 = shared(layers.Dense(4, name="back")(h))
    outputs = {"o1": layers.Dense(2, name="o1")(h), "o2": layers.Dense(1, name="o2")(h2)}
    return lib.Model({"a": a, "b": b}, outputs)


def test_multi_io_shared_layer_model_crosses_both_ways(tmp_path):
    theirs = _two_in_two_out(keras)
    set_distinct_weights(theirs)
    theirs.compile(optimizer="adam", loss={"o1": "mse", "o2": "mae"})
    theirs.save(tmp_path / "k.keras")
    ours = kgraph.models.load_model(tmp_path / "k.keras")
    assert ours.compiled
    rng = np.random.default_rng(0)
    x = {"a": rng.normal(size=(3, 4)).astype(np.float32), "b": rng.normal(size=(3, 3))}
    x["b"] = x["b"].astype(np.float32)
    want, got = theirs.predict(x, verbose=0), ours.predict(x, verbose=0)
    for name in ("o1", "o2"):
        _close(got[name], want[name])
    ours.save(tmp_path / "g.keras")
    back = keras.models.load_model(tmp_path / "g.keras").predict(x, verbose=0)
    for name in ("o1", "o2"):
        _close(back[name], want[name])
