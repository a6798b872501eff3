"""Oracle: ``keras.optimizers.legacy``'s ImportError, and Keras 2 serialization
(``keras.legacy.saving``) giving the same configs as Keras' and round-tripping across both."""

from __future__ import annotations

import pytest

import kgraph
from kgraph.legacy import saving as ours
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS
theirs = keras.legacy.saving


def _public(module):
    return {name for name in dir(module) if not name.startswith("_")}


def test_public_names_cover_keras():
    assert _public(keras.legacy) <= _public(kgraph.legacy)
    assert {"deserialize_keras_object", "serialize_keras_object"} == _public(theirs)
    assert _public(theirs) <= _public(ours)
    assert _public(keras.optimizers.legacy) <= _public(kgraph.optimizers.legacy)
    assert _public(keras.visualization) <= _public(kgraph.visualization)


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"])
def test_legacy_optimizer_error_is_keras(name):
    with pytest.raises(ImportError) as want:
        getattr(keras.optimizers.legacy, name)(learning_rate=0.1)
    with pytest.raises(ImportError) as got:
        getattr(kgraph.optimizers.legacy, name)(learning_rate=0.1)
    assert str(got.value) == str(want.value)


LAYERS = [
    ("Dense", {"units": 3, "activation": "relu", "name": "d"}),
    ("Conv2D", {"filters": 2, "kernel_size": 3, "padding": "same", "name": "c"}),
    ("Dropout", {"rate": 0.25, "name": "drop"}),
]


@pytest.mark.parametrize(("cls", "kwargs"), LAYERS)
def test_layer_configs_match_and_cross(cls, kwargs):
    want = theirs.serialize_keras_object(getattr(keras.layers, cls)(**kwargs))
    got = ours.serialize_keras_object(getattr(kgraph.layers, cls)(**kwargs))
    assert _policy_named(got) == _policy_named(want)
    mine = ours.deserialize_keras_object(want, module_objects={cls: getattr(kgraph.layers, cls)})
    assert _policy_named(ours.serialize_keras_object(mine)) == _policy_named(want)
    keras_made = theirs.deserialize_keras_object(
        got, module_objects={cls: getattr(keras.layers, cls)}
    )
    assert theirs.serialize_keras_object(keras_made) == want


def _policy_named(config):
    """The config with its ``dtype`` as the policy's name and nested objects without
    ``module``/``registered_name``: kgraph layers' ``get_config`` gives ``"float32"`` and
    Keras 2 style ``{"class_name", "config"}`` dicts where Keras gives its new-format ones."""
    inner = {}
    for key, value in config["config"].items():
        if key == "quantization_config" and value is None:
            continue  # kgraph's Dense leaves out a None quantization_config
        if key == "dtype" and isinstance(value, dict):
            value = value["config"]["name"]
        elif isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("module", "registered_name")}
        inner[key] = value
    return {**config, "config": inner}


class Inner:
    def __init__(self, scale=1.0):
        self.scale = scale

    def get_config(self):
        return {"scale": self.scale}


class Outer:
    def __init__(self, inner, tag="t", sizes=(1, 2), fn=None):
        self.inner, self.tag, self.sizes, self.fn = inner, tag, sizes, fn

    def get_config(self):
        return {"inner": self.inner, "tag": self.tag, "sizes": list(self.sizes), "fn": self.fn}


def scale_fn(x):
    return x


def test_nested_objects_match_keras_both_ways():
    obj = Outer(Inner(0.5), tag="q", sizes=(3,), fn=scale_fn)
    want = theirs.serialize_keras_object(obj)
    assert ours.serialize_keras_object(obj) == want
    objects = {"Outer": Outer, "Inner": Inner, "scale_fn": scale_fn}
    for lib in (ours, theirs):
        made = lib.deserialize_keras_object(dict(want), custom_objects=objects)
        assert isinstance(made.inner, Inner) and made.inner.scale == 0.5
        assert made.fn is scale_fn and made.tag == "q"


def test_error_messages_match_keras():
    cases = [
        lambda lib: lib.serialize_keras_object(3),
        lambda lib: lib.deserialize_keras_object({"config": {}}),
        lambda lib: lib.deserialize_keras_object({"class_name": "Nope", "config": {}}),
        # (a string that is not in custom_objects: Keras 3.15 fails with an AttributeError)
        lambda lib: lib.deserialize_keras_object(3),
    ]
    for case in cases:
        with pytest.raises(ValueError) as want:
            case(theirs)
        with pytest.raises(ValueError) as got:
            case(ours)
        assert str(got.value) == str(want.value)
