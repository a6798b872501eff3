"""``kgraph.saving``'s custom-object registry and ``serialize_keras_object`` /
``deserialize_keras_object``, with Keras 3's names and semantics."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import layers
from kgraph.saving import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)


@register_keras_serializable("reg_tests", name="Scaled")
class ScaledDense(layers.Dense):
    def __init__(self, units, factor=2.0, **kwargs):
        super().__init__(units, **kwargs)
        self.factor = factor

    def call(self, x):
        return super().call(x) * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_registration_names():
    assert get_registered_name(ScaledDense) == "reg_tests>Scaled"
    assert get_registered_object("reg_tests>Scaled") is ScaledDense
    assert get_custom_objects()["reg_tests>Scaled"] is ScaledDense
    assert get_registered_name(layers.Dense) == "Dense"  # unregistered: its own name
    assert get_registered_object("nothing>Here") is None
    assert get_registered_object("x", custom_objects={"x": int}) is int


def test_register_needs_get_config():
    class NoConfig:
        pass

    with pytest.raises(ValueError, match="get_config"):
        register_keras_serializable("reg_tests")(NoConfig)


def test_scope_nests_and_restores():
    def fn():
        return 1

    assert get_registered_object("fn") is None
    with custom_object_scope({"fn": fn}):
        assert get_registered_object("fn") is fn
        with CustomObjectScope({"other": int}):
            assert get_registered_object("fn") is fn and get_registered_object("other") is int
        assert get_registered_object("other") is None
    assert get_registered_object("fn") is None


def test_serialize_layer_is_keras_dict():
    layer = ScaledDense(3, factor=0.5, name="s")
    config = serialize_keras_object(layer)
    assert config["class_name"] == "ScaledDense"
    assert config["registered_name"] == "reg_tests>Scaled"
    assert config["module"] == __name__
    assert config["config"]["factor"] == 0.5
    rebuilt = deserialize_keras_object(config)
    assert type(rebuilt) is ScaledDense and rebuilt.factor == 0.5 and rebuilt.name == "s"
    dense = serialize_keras_object(layers.Dense(4, name="d"))
    assert (dense["module"], dense["class_name"], dense["registered_name"]) == (
        "keras.layers",
        "Dense",
        None,
    )


def test_unregistered_custom_class_needs_custom_objects():
    class Local(layers.Dense):
        pass

    config = serialize_keras_object(Local(2, name="loc"))
    with pytest.raises(TypeError, match="Could not locate class 'Local'"):
        deserialize_keras_object(config)
    assert type(deserialize_keras_object(config, custom_objects={"Local": Local})) is Local
    with custom_object_scope({"Local": Local}):
        assert type(deserialize_keras_object(config)) is Local


def test_plain_and_special_values():
    values = [np.arange(3, dtype=np.int32), b"raw", slice(1, None, 2), Ellipsis, np.float32(1.5)]
    back = deserialize_keras_object(serialize_keras_object(values))
    np.testing.assert_array_equal(back[0], values[0])
    assert back[0].dtype == np.int32
    assert back[1:4] == [b"raw", slice(1, None, 2), Ellipsis] and back[4] == 1.5


def test_optimizer_loss_metric_round_trip():
    opt = kgraph.optimizers.Adam(learning_rate=0.02, beta_1=0.8)
    config = serialize_keras_object(opt)
    assert (config["module"], config["class_name"]) == ("keras.optimizers", "Adam")
    assert config["config"]["use_ema"] is False  # Keras' keys, at Keras' defaults
    again = deserialize_keras_object(config)
    assert isinstance(again, kgraph.optimizers.Adam)
    assert float(again.learning_rate) == pytest.approx(0.02) and again.get_config()["beta_1"] == 0.8
    config["config"]["future_option"] = 3  # a key kgraph's Adam has no argument for
    with pytest.raises(ValueError, match="does not support `future_option`"):
        deserialize_keras_object(config)
    loss = deserialize_keras_object(
        serialize_keras_object(kgraph.losses.SparseCategoricalCrossentropy(from_logits=True))
    )
    assert isinstance(loss, kgraph.losses.SparseCategoricalCrossentropy) and loss.from_logits
    function = serialize_keras_object(kgraph.activations.relu)
    assert function == {  # what Keras 3 writes for its built-in functions
        "module": "builtins",
        "class_name": "function",
        "config": "relu",
        "registered_name": "function",
    }
    assert deserialize_keras_object(function) is kgraph.activations.relu


def test_registered_class_round_trips_through_a_file(tmp_path):
    inputs = kgraph.Input((3,))
    model = kgraph.Model(inputs, ScaledDense(2, factor=3.0, name="sd")(inputs))
    model.save(tmp_path / "m.keras")
    loaded = kgraph.saving.load_model(tmp_path / "m.keras")
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded.get_layer("sd")) is ScaledDense


@register_keras_serializable("reg_tests")
class HalfInit(kgraph.initializers.Initializer):
    """A registered custom initializer (0.5 everywhere)."""

    def __call__(self, shape, dtype=None):
        return np.full(shape, 0.5, dtype=dtype or "float32")

    def get_config(self):
        return {}


def test_registered_custom_initializer_inside_a_layer_config():
    config = serialize_keras_object(layers.Dense(2, kernel_initializer=HalfInit(), name="h"))
    assert config["config"]["kernel_initializer"]["registered_name"] == "reg_tests>HalfInit"
    layer = deserialize_keras_object(config)
    layer.build((None, 3))
    np.testing.assert_array_equal(layer.get_weights()[0], np.full((3, 2), 0.5, np.float32))


@register_keras_serializable("reg_tests")
class TableLayer(layers.Layer):
    """Builds from its own build config (Keras' get_build_config / build_from_config hooks)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def build(self, input_shape):
        self.table = self.add_weight(shape=(self.size,), initializer="zeros", name="table")

    def get_build_config(self):
        return {"table_size": self.size}

    def build_from_config(self, config):
        assert config == {"table_size": self.size}
        self.build(None)

    def call(self, x):
        return x + self.table

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def test_layer_build_config_hooks():
    layer = TableLayer(3, name="t")
    layer.build(None)
    config = serialize_keras_object(layer)
    assert config["build_config"] == {"table_size": 3}
    rebuilt = deserialize_keras_object(config)
    assert rebuilt.built and [w.shape for w in rebuilt.weights] == [(3,)]
