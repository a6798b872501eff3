"""Whole models in legacy HDF5 files, as Keras 2 / tf.keras wrote them (``model_config`` JSON in
Keras 2's spelling, weights under ``model_weights``), written here by hand with h5py and checked
against numpy."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import kgraph

RNG = np.random.default_rng(0)
W1, B1 = RNG.normal(size=(4, 3)).astype(np.float32), RNG.normal(size=3).astype(np.float32)
W2, B2 = RNG.normal(size=(4, 3)).astype(np.float32), RNG.normal(size=3).astype(np.float32)


def _dense(name, units, activation, **extra):
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    return {
        "class_name": "Dense",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": "float32",
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": init,
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
            **extra,
        },
    }


FUNCTIONAL = {
    "class_name": "Model",  # tf.keras before 2.4
    "config": {
        "name": "model",
        "layers": [
            {
                "class_name": "InputLayer",
                "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"},
                "name": "input_1",
                "inbound_nodes": [],
            },
            {**_dense("a", 3, "relu"), "name": "a", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {**_dense("b", 3, "linear"), "name": "b", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {
                "class_name": "Add",
                "config": {"name": "add", "trainable": True, "dtype": "float32"},
                "name": "add",
                "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]],
            },
        ],
        "input_layers": [["input_1", 0, 0]],
        "output_layers": [["add", 0, 0]],
    },
}

SEQUENTIAL = {  # the first layer carries the input shape, as tf.keras 2.x wrote it
    "class_name": "Sequential",
    "config": {
        "name": "sequential",
        "layers": [
            _dense("a", 3, "relu", batch_input_shape=[None, 4]),
            {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5, "trainable": True}},
        ],
    },
}

TRAINING = {
    "loss": "mse",
    "metrics": ["mae"],
    "optimizer_config": {
        "class_name": "Adam",
        "config": {"name": "Adam", "learning_rate": 0.01, "decay": 0.0, "beta_1": 0.9},
    },
}


def _write(path, config, layers, training=None):
    with h5py.File(path, "w") as h5:
        h5.attrs["model_config"] = json.dumps(config).encode()
        h5.attrs["keras_version"], h5.attrs["backend"] = b"2.15.0", b"tensorflow"
        if training is not None:
            h5.attrs["training_config"] = json.dumps(training).encode()
        group = h5.create_group("model_weights")
        group.attrs["layer_names"] = [name.encode() for name in layers]
        for name, weights in layers.items():
            layer = group.create_group(name)
            layer.attrs["weight_names"] = [f"{name}/{w}:0".encode() for w in weights]
            for weight, value in weights.items():
                layer.create_dataset(f"{name}/{weight}:0", data=value)


def test_keras2_functional_model(tmp_path):
    layers = {"input_1": {}, "a": {"kernel": W1, "bias": B1}, "b": {"kernel": W2, "bias": B2}}
    _write(tmp_path / "m.h5", FUNCTIONAL, {**layers, "add": {}}, TRAINING)
    model = kgraph.models.load_model(tmp_path / "m.h5")
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    want = np.maximum(x @ W1 + B1, 0) + x @ W2 + B2
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert model.compiled and float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_keras2_sequential_model(tmp_path):
    _write(tmp_path / "s.h5", SEQUENTIAL, {"a": {"kernel": W1, "bias": B1}, "drop": {}})
    model = kgraph.models.load_model(tmp_path / "s.h5", compile=False)
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x @ W1 + B1, 0), rtol=1e-5)


def test_weights_only_h5_is_not_a_model(tmp_path):
    with h5py.File(tmp_path / "w.h5", "w") as h5:
        h5.attrs["layer_names"] = [b"a"]
    with pytest.raises(ValueError, match="holds weights only"):
        kgraph.models.load_model(tmp_path / "w.h5")
