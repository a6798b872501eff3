"""``model.save("m.keras")`` writes Keras 3's archive (members, class names, config keys, weight
paths as Keras' saving_lib lays them out) and ``load_model`` rebuilds an equal model."""

from __future__ import annotations

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import kgraph
from kgraph import layers, ops
from tests.saving.models import (
    functional_bn,
    sample,
    seed_functional,
    seed_sequential,
    set_distinct_weights,
)


def _members(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
        weights = archive.read("model.weights.h5")
        names = archive.namelist()
    return names, metadata, config, weights


def _h5_tree(raw: bytes) -> dict:
    found = {}
    with h5py.File(io.BytesIO(raw), "r") as h5:
        h5.visititems(
            lambda name, obj: found.__setitem__(
                name,
                tuple(obj.shape) if isinstance(obj, h5py.Dataset) else obj.attrs.get("name"),
            )
        )
    return found


@pytest.mark.parametrize("build", [seed_sequential, seed_functional, functional_bn])
def test_round_trip_predicts_the_same(tmp_path, build):
    model = build(kgraph)
    weights = set_distinct_weights(model)
    x = sample(model)
    model.save(tmp_path / "m.keras")
    loaded = kgraph.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for got, want in zip(loaded.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_sequential_archive_has_keras_layout(tmp_path):
    model = seed_sequential(kgraph)
    conv, flatten, dense = (layer.name for layer in model.layers)
    model.save(tmp_path / "m.keras")
    names, metadata, config, weights = _members(tmp_path / "m.keras")
    assert names == ["metadata.json", "config.json", "model.weights.h5"]
    assert set(metadata) >= {"keras_version", "date_saved"}
    assert metadata["keras_version"].startswith("3.")
    assert (config["module"], config["class_name"]) == ("keras", "Sequential")
    assert config["build_config"] == {"input_shape": [None, 28, 28, 1]}
    assert config["compile_config"] == {}
    inner = config["config"]
    assert list(inner) == ["name", "trainable", "dtype", "layers", "build_input_shape"]
    assert [(item["module"], item["class_name"]) for item in inner["layers"]] == [
        ("keras.layers", "InputLayer"),
        ("keras.layers", "Conv2D"),
        ("keras.layers", "Flatten"),
        ("keras.layers", "Dense"),
    ]
    item = inner["layers"][1]
    assert item["build_config"] == {"input_shape": [None, 28, 28, 1]}
    assert item["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert item["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert _h5_tree(weights) == {
        "layers": None,
        "layers/conv2d": None,
        "layers/conv2d/vars": conv,
        "layers/conv2d/vars/0": (3, 3, 1, 4),
        "layers/conv2d/vars/1": (4,),
        "layers/flatten": None,
        "layers/flatten/vars": flatten,
        "layers/dense": None,
        "layers/dense/vars": dense,
        "layers/dense/vars/0": (2704, 10),
        "layers/dense/vars/1": (10,),
        "vars": model.name,
    }


def test_functional_paths_use_class_names_and_nesting(tmp_path):
    """Keras addresses layers by snake-cased class name, unique per container; a nested
    Sequential's layers sit under its own ``layers``; inputs get (empty) groups too."""
    model = functional_bn(kgraph)
    model.save(tmp_path / "m.keras")
    _, _, config, weights = _members(tmp_path / "m.keras")
    assert (config["module"], config["class_name"]) == ("keras.src.models.functional", "Functional")
    assert config["build_config"] == {"input_shape": None}
    assert config["config"]["input_layers"] == ["image", 0, 0]
    entry = {item["name"]: item for item in config["config"]["layers"]}
    assert entry["head"]["class_name"] == "Sequential"
    assert entry["bn"]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] == ["stem", 0, 0]
    tree = _h5_tree(weights)
    datasets = {k: v for k, v in tree.items() if isinstance(v, tuple)}
    assert datasets == {
        "layers/conv2d/vars/0": (3, 3, 3, 6),
        "layers/conv2d/vars/1": (6,),
        "layers/batch_normalization/vars/0": (6,),
        "layers/batch_normalization/vars/1": (6,),
        "layers/batch_normalization/vars/2": (6,),
        "layers/batch_normalization/vars/3": (6,),
        "layers/sequential/layers/dense/vars/0": (6, 5),
        "layers/sequential/layers/dense/vars/1": (5,),
        "layers/dense/vars/0": (24, 5),
        "layers/dense/vars/1": (5,),
    }
    assert tree["layers/input_layer/vars"] == "image"
    assert tree["layers/batch_normalization/vars"] == "bn"
    assert tree["layers/sequential/vars"] == "head"


@kgraph.saving.register_keras_serializable("saving_tests")
class Block(layers.Layer):
    """A custom layer holding sublayers in attributes and in a list, with its own weights."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = layers.Dense(units)
        self.pair = [layers.Dense(units), layers.Dense(units)]

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(self.units,), initializer="ones", name="scale")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="n")

    def call(self, x):
        return self.first(x) * self.scale + self.pair[1](self.pair[0](x)) + self.count

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_custom_layer_with_sublayers_round_trips(tmp_path):
    inputs = kgraph.Input((3,))
    model = kgraph.Model(inputs, Block(name="blk")(inputs))
    set_distinct_weights(model)
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    model.save(tmp_path / "m.keras")
    _, _, config, weights = _members(tmp_path / "m.keras")
    item = config["config"]["layers"][1]
    assert (item["class_name"], item["registered_name"]) == ("Block", "saving_tests>Block")
    tree = _h5_tree(weights)
    assert tree["layers/block/vars/0"] == (3,) and tree["layers/block/vars/1"] == ()
    assert tree["layers/block/first/vars/0"] == (3, 3)
    assert tree["layers/block/pair/dense_1/vars/1"] == (3,)
    loaded = kgraph.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_compiled_model_keeps_its_compile_config(tmp_path):
    model = seed_sequential(kgraph)
    model.compile(optimizer=kgraph.optimizers.SGD(0.05, momentum=0.5), loss="mse", metrics=["mae"])
    model.save(tmp_path / "m.keras")
    _, _, config, _ = _members(tmp_path / "m.keras")
    compiled = config["compile_config"]
    assert compiled["optimizer"]["class_name"] == "SGD"
    assert compiled["optimizer"]["config"]["momentum"] == 0.5
    assert (compiled["loss"], compiled["metrics"]) == ("mse", ["mae"])
    loaded = kgraph.models.load_model(tmp_path / "m.keras")
    assert loaded.compiled and isinstance(loaded.optimizer, kgraph.optimizers.SGD)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.05)
    uncompiled = kgraph.models.load_model(tmp_path / "m.keras", compile=False)
    assert not uncompiled.compiled


def test_functional_ops_between_layers_round_trip(tmp_path):
    inputs = kgraph.Input((4,))
    h = ops.relu(layers.Dense(3)(inputs)) + 1.0
    model = kgraph.Model(inputs, h)
    set_distinct_weights(model)
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4)
    kgraph.models.save_model(model, tmp_path / "m.keras")
    loaded = kgraph.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_extension_and_overwrite_rules(tmp_path):
    model = seed_sequential(kgraph)
    with pytest.raises(ValueError, match="Invalid filepath extension"):
        model.save(tmp_path / "m.onnx")
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "m.tar")
    with pytest.raises(ValueError, match="File format not supported"):
        kgraph.models.load_model(tmp_path / "m.weights.h5")


def _rewrite_config(path, change, drop_kgraph_version=True):
    """Edits the archive's config.json in place (as if Keras had written it)."""
    with zipfile.ZipFile(path) as archive:
        content = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(content["config.json"])
    change(config)
    content["config.json"] = json.dumps(config).encode()
    if drop_kgraph_version:
        content["metadata.json"] = json.dumps({"keras_version": "3.15.1"}).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in content.items():
            archive.writestr(name, value)


def test_keras_op_nodes_replay_with_kgraph_ops(tmp_path):
    """A Keras op entry (``x[:, :2] + 1.0`` between layers) replays with kgraph.ops."""
    inputs = kgraph.Input((4,), name="x")
    model = kgraph.Model(inputs, layers.Dense(3, name="d")(inputs))
    set_distinct_weights(model)
    model.save(tmp_path / "m.keras")

    def tensor(name, shape):
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": shape, "dtype": "float32", "keras_history": [name, 0, 0]},
        }

    def add_ops(config):
        item = {"module": "keras.src.ops.numpy", "registered_name": None}
        index = [{"class_name": "__slice__", "config": {"start": None, "stop": 2, "step": None}}]
        config["config"]["layers"] += [
            {
                **item,
                "class_name": "GetItem",
                "config": {"name": "get_item"},
                "name": "get_item",
                "inbound_nodes": [
                    {"args": [tensor("d", [None, 3]), [index[0], index[0]]], "kwargs": {}}
                ],
            },
            {
                **item,
                "class_name": "Add",
                "config": {"name": "add"},
                "name": "add",
                "inbound_nodes": [{"args": [tensor("get_item", [None, 2]), 1.0], "kwargs": {}}],
            },
        ]
        config["config"]["output_layers"] = ["add", 0, 0]

    _rewrite_config(tmp_path / "m.keras", add_ops)
    loaded = kgraph.models.load_model(tmp_path / "m.keras")
    assert [layer.name for layer in loaded.layers] == ["x", "d"]
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    want = model.predict(x, verbose=0)[:2, :2] + 1.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6)
    loaded.save(tmp_path / "again.keras")  # saved back in Keras' spelling
    _, _, config, _ = _members(tmp_path / "again.keras")
    assert [i["class_name"] for i in config["config"]["layers"]] == [
        "InputLayer",
        "Dense",
        "GetItem",
        "Add",
    ]
    assert config["config"]["layers"][2]["module"] == "keras.src.ops.numpy"


def test_training_flags_keras_records_do_not_stick(tmp_path):
    """Keras writes ``training=True`` into each call of a dropout or augmentation layer and
    overrides it when the model runs; a loaded model predicts in inference mode."""
    inputs = kgraph.Input((6,))
    model = kgraph.Model(inputs, layers.Dropout(0.9)(layers.Dense(6)(inputs)))
    set_distinct_weights(model)
    model.save(tmp_path / "m.keras")

    def record_training(config):
        for item in config["config"]["layers"]:
            for node in item["inbound_nodes"]:
                node["kwargs"]["training"] = True

    _rewrite_config(tmp_path / "m.keras", record_training)
    loaded = kgraph.models.load_model(tmp_path / "m.keras")
    x = np.ones((3, 6), np.float32)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_to_json_and_model_from_json():
    model = functional_bn(kgraph)
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Functional"
    rebuilt = kgraph.models.model_from_json(text)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
    broken = json.loads(text)
    broken["config"]["layers"][1]["class_name"] = "Unheard"
    with pytest.raises(ValueError, match="does not have: Unheard"):
        kgraph.models.model_from_json(json.dumps(broken))
