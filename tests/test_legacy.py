"""``keras.optimizers.legacy`` (Keras 3's ImportError) and ``keras.legacy.saving``'s
Keras 2 serialization (``{"class_name", "config"}``, nested objects passive)."""

from __future__ import annotations

import pytest

import kgraph
from kgraph.legacy import saving as legacy
from kgraph.saving import register_keras_serializable

LEGACY_MESSAGE = (
    "`keras.optimizers.legacy` is not supported in Keras 3. When using `tf.keras`, to "
    "continue using a `tf.keras.optimizers.legacy` optimizer, you can install the "
    "`tf_keras` package (Keras 2) and set the environment variable "
    "`TF_USE_LEGACY_KERAS=True` to configure TensorFlow to use `tf_keras` when accessing "
    "`tf.keras`."
)


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"])
def test_legacy_optimizers_raise_keras_import_error(name):
    cls = getattr(kgraph.optimizers.legacy, name)
    with pytest.raises(ImportError) as info:
        cls(learning_rate=0.1)
    assert str(info.value) == LEGACY_MESSAGE


def test_from_import_of_legacy_optimizers():
    from kgraph.optimizers.legacy import Adam

    with pytest.raises(ImportError):
        Adam()


def test_dense_serializes_without_module_and_round_trips():
    layer = kgraph.layers.Dense(3, activation="relu", name="d")
    config = legacy.serialize_keras_object(layer)
    assert set(config) == {"class_name", "config"}
    assert config["class_name"] == "Dense"
    assert config["config"]["units"] == 3 and config["config"]["name"] == "d"
    assert config["config"]["activation"] == "relu"
    again = legacy.deserialize_keras_object(config, module_objects={"Dense": kgraph.layers.Dense})
    assert isinstance(again, kgraph.layers.Dense)
    assert again.get_config() == layer.get_config()


@register_keras_serializable("LegacyTest")
class Inner:
    def __init__(self, scale=1.0):
        self.scale = scale

    def get_config(self):
        return {"scale": self.scale}


@register_keras_serializable("LegacyTest")
class Outer:
    def __init__(self, inner, tag="t", values=(1, 2)):
        self.inner, self.tag, self.values = inner, tag, values

    def get_config(self):
        return {"inner": self.inner, "tag": self.tag, "values": list(self.values)}


def test_nested_objects_are_passive_and_rebuilt():
    config = legacy.serialize_keras_object(Outer(Inner(2.5), tag="x"))
    assert config == {
        "class_name": "LegacyTest>Outer",
        "config": {
            "inner": {
                "class_name": "LegacyTest>Inner",
                "config": {"scale": 2.5},
                "__passive_serialization__": True,
            },
            "tag": "x",
            "values": [1, 2],
        },
    }
    again = legacy.deserialize_keras_object(config)
    assert isinstance(again, Outer) and isinstance(again.inner, Inner)
    assert (again.inner.scale, again.tag, again.values) == (2.5, "x", [1, 2])


def test_functions_and_names():
    def my_fn(x):
        return x

    assert legacy.serialize_keras_object(my_fn) == "my_fn"
    assert legacy.serialize_keras_object(None) is None
    assert legacy.deserialize_keras_object("my_fn", custom_objects={"my_fn": my_fn}) is my_fn
    made = legacy.deserialize_keras_object("Inner", module_objects={"Inner": Inner})
    assert isinstance(made, Inner) and made.scale == 1.0
    assert legacy.deserialize_keras_object(my_fn) is my_fn
    # a string config value naming a function is resolved
    config = {"class_name": "Outer", "config": {"inner": "my_fn", "tag": "t"}}
    rebuilt = legacy.deserialize_keras_object(
        config, custom_objects={"Outer": Outer, "my_fn": my_fn}
    )
    assert rebuilt.inner is my_fn


def test_errors():
    with pytest.raises(ValueError, match="Cannot serialize 3 because it doesn't implement"):
        legacy.serialize_keras_object(3)
    with pytest.raises(ValueError, match=r"Improper config format for \{'config': \{\}\}"):
        legacy.deserialize_keras_object({"config": {}})
    with pytest.raises(ValueError, match=r"Unknown layer: 'Nope'\. Please ensure"):
        legacy.deserialize_keras_object(
            {"class_name": "Nope", "config": {}}, printable_module_name="layer"
        )
    with pytest.raises(ValueError, match="Unknown object: 'nope'"):
        legacy.deserialize_keras_object("nope", module_objects={})
    with pytest.raises(ValueError, match="Could not interpret serialized object: 3"):
        legacy.deserialize_keras_object(3)


def test_public_modules():
    assert kgraph.legacy.saving is legacy
    assert "legacy" in kgraph.SUBMODULES and "visualization" in kgraph.SUBMODULES
