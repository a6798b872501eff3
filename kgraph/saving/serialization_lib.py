"""``serialize_keras_object`` / ``deserialize_keras_object``: kgraph objects ↔ Keras 3 dicts.

An object is ``{"module", "class_name", "config", "registered_name"}`` (layers and models add
``build_config``, models ``compile_config``), as Keras 3 writes it, so either library reads
the other's configs. Values Keras spells specially (``__numpy__``, ``__bytes__``, ``__slice__``,
``__ellipsis__``, ``__lambda__``) are understood too. Python code (``__lambda__``) is only
rebuilt with ``safe_mode=False``: loading never runs code from a file otherwise, and never
unpickles.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import types

import numpy as np

from kgraph.saving import lambdas
from kgraph.saving.object_registration import CustomObjectScope, get_registered_name
from kgraph.saving.resolution import keras_location, resolve_class, resolve_function

_STATE = threading.local()
PLAIN_TYPES = (str, int, float, bool)
_SPECIAL = ("__numpy__", "__tensor__", "__bytes__", "__slice__", "__ellipsis__", "__lambda__")


_UNSAFE_EVERYWHERE = [False]  # keras.config.enable_unsafe_deserialization()


def enable_unsafe_deserialization() -> None:
    """Turns safe mode off for every later load, ``safe_mode=True`` arguments included, as
    Keras' ``keras.config.enable_unsafe_deserialization`` does (lambdas load)."""
    _UNSAFE_EVERYWHERE[0] = True


def in_safe_mode() -> bool | None:
    """The ``safe_mode`` of the load in progress (None outside one; False everywhere after
    ``enable_unsafe_deserialization``)."""
    return False if _UNSAFE_EVERYWHERE[0] else getattr(_STATE, "safe_mode", None)


@contextlib.contextmanager
def safe_mode_scope(safe_mode: bool):
    previous = getattr(_STATE, "safe_mode", None)  # the scope's own value, not the global one
    _STATE.safe_mode = safe_mode
    try:
        yield
    finally:
        _STATE.safe_mode = previous


def serialize_keras_object(obj):
    """The Keras 3 config dict of ``obj`` (plain values, lists and dicts pass through)."""
    from kgraph.layers.layer import Layer
    from kgraph.tensor import KerasTensor

    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {
            "class_name": "__numpy__",
            "config": {"value": obj.tolist(), "dtype": obj.dtype.name},
        }
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.item()
    special = _serialize_special(obj)
    if special is not None:
        return special
    if isinstance(obj, KerasTensor):
        # its producing call is written by the functional model that holds it (get_config)
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(obj.shape), "dtype": obj.dtype, "keras_history": None},
        }
    if isinstance(obj, Layer):
        from kgraph.saving.model_config import serialize_layer

        return serialize_layer(obj)
    if isinstance(obj, types.FunctionType):
        return _serialize_function(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize object {obj!r} of type {type(obj).__name__}: to be serializable, "
            "a class must implement the `get_config()` method."
        )
    module, registered = keras_location(type(obj))
    config = _object_config(obj)
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": serialize_keras_object(config),
        "registered_name": registered,
    }


def _object_config(obj) -> dict:
    from kgraph.optimizers import Optimizer

    if isinstance(obj, Optimizer):
        from kgraph.saving.compile_config import optimizer_config

        return optimizer_config(obj)
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The get_config() method of {obj!r} should return a dict.")
    return config


def _serialize_special(obj):
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        parts = {"start": obj.start, "stop": obj.stop, "step": obj.step}
        return {"class_name": "__slice__", "config": serialize_keras_object(parts)}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    return None


def _serialize_function(fn):
    if fn.__name__ == "<lambda>":
        return {"class_name": "__lambda__", "config": {"value": lambdas.dump(fn)}}
    registered = get_registered_name(fn)
    if registered != fn.__name__ or not fn.__module__.startswith("kgraph"):
        module = None if fn.__module__ == "__main__" else fn.__module__
        return {
            "module": module,
            "class_name": "function",
            "config": registered,
            "registered_name": registered,
        }
    # a built-in activation, loss or metric function: Keras writes these by name alone (it
    # finds keras.losses.mean_squared_error under keras.metrics, so a module would not load)
    return {
        "module": "builtins",
        "class_name": "function",
        "config": fn.__name__,
        "registered_name": "function",
    }


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a Keras 3 config dict describes (kgraph classes, registered classes or
    ``custom_objects``). ``safe_mode`` (on by default) refuses Python lambdas."""
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    if config is None or isinstance(config, PLAIN_TYPES):
        if isinstance(config, str) and custom_objects and config in custom_objects:
            return custom_objects[config]
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(x, custom_objects, safe_mode) for x in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {
            k: deserialize_keras_object(v, custom_objects, safe_mode) for k, v in config.items()
        }
    class_name, inner = config["class_name"], config["config"] or {}
    if class_name in _SPECIAL:
        return decode_special(class_name, inner, safe_mode)
    if class_name == "__keras_tensor__":
        return config  # rebuilt by the functional model that holds it
    if class_name == "function":
        fn = resolve_function(inner, config.get("module"), custom_objects)
        if fn is None:
            raise TypeError(f"Could not locate function '{inner}'. Full object config: {config}")
        return fn
    cls = resolve_class(
        class_name, config.get("module"), config.get("registered_name"), custom_objects
    )
    if cls is None:
        raise TypeError(
            f"Could not locate class '{class_name}'. Make sure custom classes are decorated "
            "with `@kgraph.saving.register_keras_serializable()` or passed in "
            f"`custom_objects`. Full object config: {config}"
        )
    with CustomObjectScope(custom_objects or {}), safe_mode_scope(safe_mode):
        return _instantiate(cls, config, inner, custom_objects)


def _instantiate(cls, config, inner, custom_objects):
    from kgraph.layers.layer import Layer
    from kgraph.optimizers import Optimizer

    if issubclass(cls, Layer):
        from kgraph.saving.keras_ops import KerasOpNode, from_keras_item
        from kgraph.saving.model_config import layer_from_config

        if cls is KerasOpNode and "module" not in inner:  # Keras' spelling of an op node
            return from_keras_item(config)

        return layer_from_config(cls, config, custom_objects)
    if issubclass(cls, Optimizer):
        from kgraph.saving.compile_config import optimizer_from_config

        return optimizer_from_config(cls, inner)
    if not hasattr(cls, "from_config"):
        if inspect.isclass(cls):
            return cls(**inner)
        return cls
    return cls.from_config(decode_values(inner))


def decode_special(class_name: str, inner, safe_mode=None):
    """The Python value of one of Keras' special spellings (``__numpy__``, ``__lambda__``…)."""
    if class_name in ("__numpy__", "__tensor__"):
        return np.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(*(decode_values(inner.get(k)) for k in ("start", "stop", "step")))
    safe = in_safe_mode() if safe_mode is None else safe_mode
    if safe is not False:
        raise ValueError(LAMBDA_REFUSED)
    return lambdas.load(inner.get("value", inner))


LAMBDA_REFUSED = (
    "Requested the deserialization of a Python lambda. This carries a potential risk of "
    "arbitrary code execution and thus it is disallowed by default. If you trust the source "
    "of the artifact, you can override this error by passing `safe_mode=False` to the "
    "loading function."
)


def decode_values(value):
    """``value`` with Keras' special spellings (numpy arrays, lambdas, functions) and
    registered custom objects turned into Python values; kgraph's own classes' configs are left
    as they are for the layer (its arguments take them)."""
    if isinstance(value, list):
        return [decode_values(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") in _SPECIAL and "config" in value:
        return decode_special(value["class_name"], value["config"] or {})
    if value.get("class_name") == "function" and isinstance(value.get("config"), str):
        # resolved here (registered, custom or kgraph's own), never imported by module name
        fn = resolve_function(value["config"], value.get("module"))
        if fn is None:
            raise ValueError(f"Could not locate function '{value['config']}'.")
        return fn
    registered = value.get("registered_name")
    if "config" in value and registered and registered != value.get("class_name"):
        from kgraph.layers.layer import Layer

        cls = resolve_class(value["class_name"], value.get("module"), registered)
        if not (isinstance(cls, type) and issubclass(cls, Layer)):  # layers: their model's job
            return deserialize_keras_object(value)  # a registered custom initializer, loss...
    return {k: decode_values(v) for k, v in value.items()}
