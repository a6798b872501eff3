"""``keras.legacy.saving`` (also ``keras.utils.legacy``): Keras 2's serialization format,
``{"class_name": ..., "config": ...}`` without ``module`` or ``registered_name``.

Nested objects in a config are serialized the same way and tagged
``"__passive_serialization__": True`` so that deserialization rebuilds them; names are looked
up in ``custom_objects``, the custom-object registry and ``module_objects`` (nothing is found
by default, as in Keras). Keras' shared-object scopes (internal to its Keras 2 model loader)
are not provided.
"""

from __future__ import annotations

import inspect

from kgraph.saving.object_registration import (
    CustomObjectScope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
)

__all__ = ["deserialize_keras_object", "serialize_keras_object"]

_PASSIVE = "__passive_serialization__"
_UNKNOWN = (
    "Please ensure you are using a `keras.utils.custom_object_scope` and that this object "
    "is included in the scope. See https://www.tensorflow.org/guide/keras/save_and_serialize"
    "#registering_the_custom_object for details."
)


def serialize_keras_object(instance):
    """The legacy JSON-compatible form of ``instance``: a config dict for objects with
    ``get_config``, the registered name for functions and classes."""
    instance = inspect.unwrap(instance)
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
            except ValueError:
                config[key] = item
                continue
            if isinstance(serialized, dict) and not isinstance(item, dict):
                serialized[_PASSIVE] = True
            config[key] = serialized
        return {"class_name": get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement `get_config()`.")


def _class_and_config(config, module_objects, custom_objects, printable_module_name):
    """``(class, config)`` with nested passive objects and function names resolved."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(
            f"Improper config format for {config}. "
            "Expecting python dict contains `class_name` and `config` as keys"
        )
    class_name = config["class_name"]
    cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        raise ValueError(f"Unknown {printable_module_name}: '{class_name}'. {_UNKNOWN}")
    cls_config = config["config"]
    if isinstance(cls_config, list):
        return cls, cls_config
    resolved = {}
    for key, item in cls_config.items():
        if key == "name":
            continue
        if isinstance(item, dict) and _PASSIVE in item:
            resolved[key] = deserialize_keras_object(
                item, module_objects, custom_objects, printable_module_name="config_item"
            )
        elif isinstance(item, str):
            found = get_registered_object(item, custom_objects, module_objects)
            if inspect.isfunction(found):
                resolved[key] = found
    cls_config.update(resolved)
    return cls, cls_config


def _from_config(cls, cls_config, custom_objects):
    custom_objects = custom_objects or {}
    if not hasattr(cls, "from_config"):
        with CustomObjectScope(custom_objects):
            return cls(**cls_config)
    if "custom_objects" in inspect.getfullargspec(cls.from_config).args:
        return cls.from_config(
            cls_config, custom_objects={**get_custom_objects(), **custom_objects}
        )
    with CustomObjectScope(custom_objects):
        return cls.from_config(cls_config)


def deserialize_keras_object(
    identifier, module_objects=None, custom_objects=None, printable_module_name="object"
):
    """The object a legacy config (or a registered name) describes; a class named by a
    string is instantiated without arguments, a function is returned as is."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        cls, cls_config = _class_and_config(
            identifier, module_objects, custom_objects, printable_module_name
        )
        return _from_config(cls, cls_config, custom_objects)
    if isinstance(identifier, str):
        obj = get_registered_object(identifier, custom_objects, module_objects)
        if obj is None:
            raise ValueError(f"Unknown {printable_module_name}: '{identifier}'. {_UNKNOWN}")
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")
