"""Layers and models as Keras 3 writes them in ``config.json``, and back.

Saving takes each layer's ``get_config()`` and adds what Keras' files hold around it: the
``module`` / ``registered_name`` of the class, the dtype as a ``DTypePolicy`` object, nested
initializers/regularizers/constraints as full objects, ``build_config`` (the input shape the
layer was built for) and, for models, ``compile_config``. Loading reverses it: classes are found
by ``resolution``, layers outside a functional graph are built from ``build_config``, and a
model is compiled from ``compile_config``.
"""

from __future__ import annotations

from kgraph.saving.resolution import keras_location, resolve_class

_NESTED_MODULE = {
    "_initializer": "keras.initializers",
    "_regularizer": "keras.regularizers",
    "_constraint": "keras.constraints",
}


def dtype_policy(name: str) -> dict:
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": name},
        "registered_name": None,
    }


def serialize_layer(layer) -> dict:
    """The Keras 3 dict of a layer or model (``serialize_keras_object`` for layers)."""
    from kgraph.models.model import Model

    module, registered = keras_location(type(layer))
    item = {
        "module": module,
        "class_name": getattr(type(layer), "keras_class_name", type(layer).__name__),
        "config": layer_config(layer),
        "registered_name": registered,
    }
    own = getattr(layer, "get_build_config", None)  # a layer may define Keras' hook itself
    build = own() if own is not None else build_config(layer)
    if build is not None:
        item["build_config"] = build
    if isinstance(layer, Model):
        get = getattr(layer, "get_compile_config", None)
        item["compile_config"] = (get() if get else None) or {}
    return item


def layer_config(layer) -> dict:
    """``layer.get_config()`` with Keras' spellings of dtypes, nested objects and sublayers."""
    from kgraph.layers.core.input_layer import InputLayer
    from kgraph.models.functional import Functional
    from kgraph.models.sequential import Sequential
    from kgraph.saving.serialization_lib import serialize_keras_object

    config = dict(layer.get_config())
    if isinstance(layer, InputLayer):
        return _input_layer_config(config)
    if isinstance(config.get("dtype"), str):
        config["dtype"] = dtype_policy(config["dtype"])
    for key, value in config.items():
        suffix = next((s for s in _NESTED_MODULE if key.endswith(s)), None)
        if suffix and isinstance(value, dict) and "class_name" in value and "module" not in value:
            held = getattr(layer, key, None)  # the object itself: its class says where it lives
            if type(held).__name__ == value["class_name"] and hasattr(held, "get_config"):
                config[key] = serialize_keras_object(held)
            else:
                config[key] = {"module": _NESTED_MODULE[suffix], **value, "registered_name": None}
    if isinstance(layer, Sequential):
        return _sequential_config(layer, config)
    if isinstance(layer, Functional) and "layers" in config:
        by_name = {sub.name: sub for sub in layer.layers}
        config["layers"] = [
            _functional_item(item, by_name.get(item.get("name"))) for item in config["layers"]
        ]
    return serialize_keras_object(config)


def _input_layer_config(config: dict) -> dict:
    return {
        "batch_shape": list(config["batch_shape"]),
        "dtype": config.get("dtype", "float32"),
        "sparse": False,
        "ragged": False,
        "name": config["name"],
        "optional": False,
    }


def _sequential_config(model, config: dict) -> dict:
    items = list(config.get("layers", []))
    stack = list(model.layers)
    layers = []
    if items and items[0].get("class_name") == "InputLayer":
        first = items.pop(0)
        layers.append(_plain_item(first))
    layers += [serialize_layer(sub) for sub in stack]
    out = {
        "name": config["name"],
        "trainable": config.get("trainable", True),
        "dtype": dtype_policy(getattr(model, "dtype", "float32")),
        "layers": layers,
    }
    if model.built:
        out["build_input_shape"] = list(model.input_shape)
    return out


def _plain_item(item: dict) -> dict:
    """A config entry whose object is not at hand (an ``InputLayer``, an op between layers)."""
    from kgraph.saving.keras_ops import keras_item, keras_op_function

    if item["class_name"] == "KerasOpNode":  # kgraph's configs before Keras' spelling
        return keras_item(item["config"])
    if keras_op_function(item.get("module"), item["class_name"]) is not None:
        return {key: item.get(key) for key in ("module", "class_name", "config", "registered_name")}
    cls = resolve_class(item["class_name"], "keras.layers", None) or resolve_class(
        item["class_name"], "kgraph.layers", None
    )
    module = keras_location(cls)[0] if cls else None
    config = item["config"]
    if item["class_name"] == "InputLayer":
        config = _input_layer_config(config)
    return {
        "module": module,
        "class_name": item["class_name"],
        "config": config,
        "registered_name": None,
    }


def _functional_item(item: dict, layer) -> dict:
    """Keras' entry of a functional model's layer: the layer's dict plus name and calls."""
    out = serialize_layer(layer) if layer is not None else _plain_item(item)
    out["name"] = item.get("name")
    out["inbound_nodes"] = item.get("inbound_nodes", [])
    return out


def build_config(layer) -> dict | None:
    """Keras' ``get_build_config()``: the shape(s) the layer was first called on."""
    from kgraph.layers.core.input_layer import InputLayer
    from kgraph.models.functional import Functional
    from kgraph.models.model import Model
    from kgraph.models.sequential import Sequential
    from kgraph.tensor import KerasTensor

    if isinstance(layer, InputLayer):
        return None
    if isinstance(layer, Functional) and not isinstance(layer, Sequential):
        return {"input_shape": None}
    if isinstance(layer, Model):
        if not layer.built:
            return None
        try:
            return {"input_shape": _listed(layer.input_shape)}
        except ValueError:
            return None
    first = layer.input
    if isinstance(first, KerasTensor):
        return {"input_shape": list(first.shape)}
    if isinstance(first, (list, tuple)) and all(isinstance(t, KerasTensor) for t in first):
        return {"input_shape": [list(t.shape) for t in first]}
    return None


def _listed(shape):
    if isinstance(shape, list):
        return [list(s) for s in shape]
    return list(shape)


def _as_shape(value):
    """JSON lists back to the tuples ``build`` expects (a list of them for several inputs)."""
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return [tuple(v) for v in value]
    return tuple(value)


def layer_from_config(cls, config: dict, custom_objects=None):
    """A layer or model from its Keras dict: created, built (``build_config``), and compiled
    (``compile_config``) when the file asks for it."""
    from kgraph.saving.compile_config import compile_from_config
    from kgraph.saving.serialization_lib import decode_values

    inner = decode_values(config.get("config") or {})
    layer = cls.from_config(inner)
    build = config.get("build_config") or {}
    if build and not layer.built and hasattr(layer, "build_from_config"):
        layer.build_from_config(build)  # a layer's own Keras hook
        layer.built = True
    elif build.get("input_shape") is not None and not layer.built:
        layer.build(_as_shape(build["input_shape"]))
        layer.built = True
    compiled = config.get("compile_config")
    if compiled and hasattr(layer, "compile"):
        compile_from_config(layer, compiled)
    return layer
