"""Whole models in legacy HDF5 files (``model.save("m.h5")`` in Keras 2 / tf.keras, or Keras 3's
legacy writer): the ``model_config`` attribute (JSON), the weights in ``model_weights`` (see
``legacy_h5``) and the ``training_config`` attribute.

Keras 2's config differs from Keras 3's in a few spellings, which are rewritten before the
model is built: a functional call is ``[[layer, node, tensor, kwargs], ...]`` instead of
``{"args", "kwargs"}``, and input shapes are ``batch_input_shape`` instead of ``batch_shape``.
Optimizer state in these files is not restored (the layout was backend specific).
"""

from __future__ import annotations

import json


def _tensor(ref) -> dict:
    return {"class_name": "__keras_tensor__", "config": {"keras_history": list(ref[:3])}}


def _node(node) -> dict:
    """A Keras 2 call (list of inbound tensors) as Keras 3's ``{"args", "kwargs"}``."""
    if isinstance(node, dict):
        return node
    tensors = [_tensor(entry) for entry in node]
    kwargs = node[0][3] if node and len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
    return {"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": dict(kwargs)}


def upgrade_config(value):
    """A Keras 2 model config in Keras 3's spelling (Keras 3 configs pass unchanged)."""
    if isinstance(value, list):
        return [upgrade_config(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: upgrade_config(v) for k, v in value.items()}
    if "inbound_nodes" in out and isinstance(out["inbound_nodes"], list):
        out["inbound_nodes"] = [_node(n) for n in out["inbound_nodes"]]
    config = out.get("config")
    if "class_name" in out and isinstance(config, dict) and "batch_input_shape" in config:
        config = dict(config)
        shape = config.pop("batch_input_shape")
        if out["class_name"] == "InputLayer":
            config["batch_shape"] = shape
        else:
            config["input_shape"] = shape[1:]
        out["config"] = config
    if out.get("class_name") == "Model" and isinstance(config, dict) and "layers" in config:
        out["class_name"] = "Functional"  # tf.keras < 2.4 called a functional model "Model"
    return out


def _attribute_json(h5, name: str):
    raw = h5.attrs.get(name)
    if raw is None:
        return None
    return json.loads(raw.decode("utf-8") if hasattr(raw, "decode") else raw)


def compile_config_of(training: dict) -> dict:
    """Keras 3's ``compile_config`` from a legacy ``training_config``."""
    config = {key: training.get(key) for key in ("loss", "loss_weights", "metrics")}
    config["weighted_metrics"] = training.get("weighted_metrics")
    config["optimizer"] = training.get("optimizer_config")
    return config


def load_legacy_model(h5, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """The model of an open legacy ``.h5`` file."""
    from kgraph.saving.compile_config import compile_from_config
    from kgraph.saving.config_check import check_model_config, without_recorded_training
    from kgraph.saving.legacy_h5 import load_weights_by_position, weights_group
    from kgraph.saving.serialization_lib import deserialize_keras_object

    config = _attribute_json(h5, "model_config")
    if config is None:
        raise ValueError(
            "it holds weights only (no 'model_config'): build the model, then call "
            "model.load_weights() on it"
        )
    config = without_recorded_training(upgrade_config(config))
    check_model_config(config, custom_objects, safe_mode)
    config = {**config, "compile_config": None}
    model = deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
    load_weights_by_position(weights_group(h5), model)
    training = _attribute_json(h5, "training_config")
    if compile and isinstance(training, dict):
        compile_from_config(model, compile_config_of(training))
    return model
