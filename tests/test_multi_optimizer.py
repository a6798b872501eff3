"""MultiOptimizer / OptimizerMap as a user meets them: routing by path, errors, rates per
sub-optimizer, saving; and the compiler's routing of a multi_optimizer spec."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as keras
from kgraph import optimizers
from kgraph.compiler.optim import multi, scalar_inputs, slot_specs


def _model():
    keras.utils.set_random_seed(2)
    inputs = keras.Input((3,))
    h = keras.layers.Dense(4, name="enc")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1, name="head")(h))


def test_optimizer_map_lookup_and_errors():
    sgd, adam, rms = optimizers.SGD(), optimizers.Adam(), optimizers.RMSprop()
    mapping = optimizers.OptimizerMap(default_optimizer=rms)
    mapping["encoder/layer_0/dense"] = adam
    mapping["encoder/.*"] = sgd
    assert mapping["encoder/layer_0/dense"] is adam
    assert mapping["encoder/layer_0/attention/query"] is sgd
    assert mapping["decoder/dense"] is rms and len(mapping) == 2
    mapping[".*/dense"] = adam
    with pytest.raises(ValueError, match="Multiple optimizers"):
        _ = mapping["encoder/x/dense"]  # "encoder/.*" and ".*/dense" both match
    with pytest.raises(ValueError, match="already exists"):
        mapping["encoder/.*"] = adam
    with pytest.raises(ValueError, match="cannot be LossScaleOptimizer"):
        mapping["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(TypeError, match="default_optimizer"):
        optimizers.OptimizerMap("sgd")


def test_rates_belong_to_the_sub_optimizers():
    mapping = optimizers.OptimizerMap(optimizers.SGD(0.1), {"enc/.*": optimizers.Adam(0.01)})
    optimizer = optimizers.MultiOptimizer(mapping)
    with pytest.raises(AttributeError, match="sub-optimizers"):
        _ = optimizer.learning_rate
    with pytest.raises(AttributeError, match="sub-optimizers"):
        optimizer.learning_rate = 0.5
    assert [type(o).__name__ for o in optimizer.optimizers] == ["Adam", "SGD"]
    assert optimizer.current_learning_rate() == pytest.approx(0.01)
    assert optimizer.extra_learning_rates() == {"lr:1": pytest.approx(0.1)}
    spec = optimizer.spec()
    assert spec["optimizer_map"] == {"enc/.*": 0} and spec["default"] == 1


def test_fit_routes_weights_and_saves(tmp_path):
    model = _model()
    frozen = optimizers.SGD(0.0)
    mapping = optimizers.OptimizerMap(optimizers.Adam(0.05), {"head/.*": frozen})
    model.compile(optimizers.MultiOptimizer(mapping), "mse")
    head = [w.numpy() for w in model.get_layer("head").weights]
    enc = [w.numpy() for w in model.get_layer("enc").weights]
    x = np.ones((8, 3), np.float32)
    model.fit(x, np.zeros((8, 1), np.float32), epochs=2, verbose=0)
    for old, w in zip(head, model.get_layer("head").weights):  # a rate of 0: unchanged
        np.testing.assert_array_equal(w.numpy(), old)
    assert all(
        np.abs(w.numpy() - old).max() > 0 for old, w in zip(enc, model.get_layer("enc").weights)
    )
    assert model.optimizer.iterations == 2 and frozen.iterations == 2
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.optimizer, optimizers.MultiOptimizer)
    assert [type(o).__name__ for o in loaded.optimizer.optimizers] == ["SGD", "Adam"]


def test_a_function_map_needs_build():
    model = _model()
    adam = optimizers.Adam()
    optimizer = optimizers.MultiOptimizer(lambda v: adam)
    with pytest.raises(ValueError, match="build"):
        optimizer.spec()
    optimizer.build(model.trainable_variables)
    assert set(optimizer.spec()["assignments"]) == {
        "enc/kernel",
        "enc/bias",
        "head/kernel",
        "head/bias",
    }


def test_compiler_routing_and_slots():
    spec = {
        "name": "multi_optimizer",
        "optimizers": [{"name": "adam"}, {"name": "sgd", "momentum": 0.9}],
        "optimizer_map": {"a/.*": 1},
        "default": 0,
        "assignments": {"b/bias": 1},
    }
    shapes = {"a/kernel": (2, 2), "b/kernel": (2,), "b/bias": (2,)}
    assert set(slot_specs(spec, shapes)) == {
        "a/kernel/sgd_momentum", "b/kernel/adam_m", "b/kernel/adam_v", "b/bias/sgd_momentum",
    }  # fmt: skip
    assert scalar_inputs(spec) == ["lr:1"] and scalar_inputs({"name": "adam"}) == []
    with pytest.raises(ValueError, match="cannot hold"):
        multi.check({"name": "multi_optimizer", "optimizers": [{"name": "loss_scale_optimizer"}]})
    with pytest.raises(ValueError, match="no default"):
        multi.group_of({**spec, "default": None}, "c/kernel")
