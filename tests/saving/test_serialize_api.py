"""``kgraph.activations.deserialize`` and ``kgraph.layers.serialize`` / ``deserialize``:
round trips, Keras' config dicts, custom objects and bad configs."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import activations, layers


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "silu", "linear", "hard_sigmoid"])
def test_activation_round_trip(name):
    fn = activations.get(name)
    assert activations.deserialize(activations.serialize(fn)) is fn
    config = {"module": "keras.activations", "class_name": "function", "config": name}
    assert activations.deserialize({**config, "registered_name": name}) is fn


def test_activation_custom_objects_and_unknown_names():
    def scaled(x):
        return 2.0 * x

    assert activations.deserialize("scaled", custom_objects={"scaled": scaled}) is scaled
    assert activations.deserialize("no_such_activation") == "no_such_activation"  # as Keras
    with pytest.raises(ValueError, match="no_such_activation"):
        activations.get(activations.deserialize("no_such_activation"))


def test_layer_round_trip_keeps_config_and_computes_the_same():
    dense = layers.Dense(4, activation="tanh", use_bias=False, name="d")
    config = layers.serialize(dense)
    assert config["class_name"] == "Dense" and config["module"] == "keras.layers"
    assert config["config"]["units"] == 4 and config["config"]["activation"] == "tanh"
    copy = layers.deserialize(config)
    assert isinstance(copy, layers.Dense) and copy is not dense
    assert copy.get_config() == dense.get_config()
    x = np.random.default_rng(0).standard_normal((3, 5)).astype("float32")
    dense.build((None, 5))
    copy.build((None, 5))
    kernel = np.random.default_rng(1).standard_normal((5, 4)).astype("float32")
    dense.set_weights([kernel])
    copy.set_weights([kernel])
    np.testing.assert_allclose(np.asarray(copy(x)), np.tanh(x @ kernel), rtol=1e-5, atol=1e-6)


def test_layer_deserialize_custom_class_and_non_layers():
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2.0

    config = layers.serialize(Twice(name="twice"))
    copy = layers.deserialize(config, custom_objects={"Twice": Twice})
    assert isinstance(copy, Twice) and copy.name == "twice"
    not_a_layer = kgraph.saving.serialize_keras_object(kgraph.initializers.Zeros())
    with pytest.raises(ValueError, match=r"not a `kgraph\.layers\.Layer`"):
        layers.deserialize(not_a_layer)
