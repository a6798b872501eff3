"""``model.save("m.h5")``: a whole model in the legacy HDF5 layout Keras 3 still writes (with a
warning) and reads, so programs that save ``.h5`` files keep running and the files load in
both libraries.

The file's ``model_config`` attribute is the model's legacy-format config (JSON), its
``training_config`` the compile arguments with the optimizer's config, and ``model_weights``
the weights as ``legacy_h5`` reads them: ``layer_names``, then per layer ``weight_names`` and
one dataset per weight, trainable weights first. Optimizer state is not written (Keras' own
layout for it is backend specific; a reloaded model starts a fresh optimizer, as kgraph does
for legacy files it reads).
"""

from __future__ import annotations

import json
import warnings

import numpy as np

from kgraph.saving.atomic import atomic_path
from kgraph.saving.legacy_h5 import legacy_weights
from kgraph.saving.saving_lib import KERAS_VERSION, h5py_module

BACKEND = "kgraph"


def save_legacy_model(model, path: str, include_optimizer: bool = True) -> None:
    """Writes ``model`` to the legacy ``.h5`` file ``path`` (atomically)."""
    from kgraph.legacy.saving import serialize_keras_object

    warnings.warn(
        "You are saving your model as an HDF5 file via `model.save()`. This file format is "
        "considered legacy. We recommend using instead the native Keras format, e.g. "
        "`model.save('my_model.keras')`.",
        stacklevel=3,
    )
    with atomic_path(path) as temp, h5py_module().File(temp, "w") as h5:
        h5.attrs["keras_version"] = KERAS_VERSION
        h5.attrs["backend"] = BACKEND
        h5.attrs["model_config"] = _json(serialize_keras_object(model))
        if include_optimizer and getattr(model, "compiled", False):
            h5.attrs["training_config"] = _json(_training_config(model))
        _write_weights(h5.create_group("model_weights"), model)


def _json(value) -> bytes:
    return json.dumps(value, default=_plain).encode("utf8")


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Cannot write {type(value).__name__} to a legacy .h5 config")


def _training_config(model) -> dict:
    """Keras' legacy ``training_config``: the compile config with the optimizer apart."""
    from kgraph.legacy.saving import serialize_keras_object

    config = dict(model.get_compile_config() or {})
    config.pop("optimizer", None)
    config["optimizer_config"] = serialize_keras_object(model.optimizer)
    return config


def _write_weights(group, model) -> None:
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    group.attrs["layer_names"] = [layer.name.encode("utf8") for layer in model.layers]
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = KERAS_VERSION
    for layer in model.layers:
        weights = legacy_weights(layer) if layer in layers else []
        layer_group = group.create_group(layer.name)
        names = [f"{layer.name}/{w.name}" for w in weights]
        layer_group.attrs["weight_names"] = [n.encode("utf8") for n in names]
        for name, weight in zip(names, weights):
            layer_group.create_dataset(name, data=weight.numpy())
