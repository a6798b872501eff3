"""Checks a saved model's config before anything is built from it.

Every class the architecture names must be one kgraph has (or one registered or passed in
``custom_objects``): otherwise loading stops with one message naming all the missing ones,
instead of failing at the first. Python code (a ``__lambda__`` value, a ``Lambda`` layer) is
refused unless ``safe_mode=False``, with Keras' wording. ``compile_config`` is not checked here:
a model whose optimizer or loss kgraph lacks still loads, uncompiled.
"""

from __future__ import annotations

from kgraph.saving.resolution import resolve_class, resolve_function
from kgraph.saving.serialization_lib import LAMBDA_REFUSED, in_safe_mode

_SPECIAL = {"__keras_tensor__", "__numpy__", "__tensor__", "__bytes__", "__slice__", "__ellipsis__"}

LAMBDA_LAYER_REFUSED = (
    "Requested the deserialization of a `Lambda` layer whose `function` is Python code. This "
    "carries a potential risk of arbitrary code execution and thus it is disallowed by "
    "default. If you trust the source of the artifact, you can override this error by "
    "passing `safe_mode=False` to the loading function."
)


def _objects(value, found: list) -> list:
    """Every ``{"class_name", "config"}`` dict inside ``value`` (``compile_config`` left out)."""
    if isinstance(value, list):
        for v in value:
            _objects(v, found)
    elif isinstance(value, dict):
        if "class_name" in value and "config" in value:
            found.append(value)
        for key, v in value.items():
            if key != "compile_config":
                _objects(v, found)
    return found


def check_model_config(config: dict, custom_objects=None, safe_mode: bool = True) -> None:
    """Raises ``ValueError`` naming every class of ``config`` kgraph cannot build, or the
    Python code it holds when ``safe_mode`` is on."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("config.json does not describe a model (no 'class_name').")
    missing: list[str] = []
    for item in _objects(config, []):
        name = item["class_name"]
        if name == "__lambda__" or (name == "Lambda" and _holds_code(item)):
            if safe_mode and in_safe_mode() is not False:
                raise ValueError(LAMBDA_REFUSED if name == "__lambda__" else LAMBDA_LAYER_REFUSED)
            if name == "__lambda__":
                continue
        if name in _SPECIAL:
            continue
        if name == "function":
            found = resolve_function(item["config"], item.get("module"), custom_objects)
            label = f"function {item['config']}"
        else:
            found = resolve_class(
                name, item.get("module"), item.get("registered_name"), custom_objects
            )
            label = name if not item.get("registered_name") else item["registered_name"]
            if _is_dtype_policy(item):
                continue
        if found is None and label not in missing:
            missing.append(label)
    if missing:
        raise ValueError(
            f"kgraph cannot load this model: it uses classes kgraph does not have: "
            f"{', '.join(missing)}. If they are your own classes, register them with "
            "@kgraph.saving.register_keras_serializable() or pass them in custom_objects."
        )


def _is_dtype_policy(item: dict) -> bool:
    return item["class_name"] in ("DTypePolicy", "FloatDTypePolicy", "QuantizedDTypePolicy")


def _holds_code(item: dict) -> bool:
    function = (item.get("config") or {}).get("function")
    return isinstance(function, dict) and function.get("class_name") == "__lambda__"


def without_recorded_training(config):
    """``config`` without the ``training`` values Keras records in functional calls.

    Keras writes the training flag each layer call resolved to when the model was defined
    (``True`` for its random augmentation layers) and overrides it whenever the model runs
    (``predict`` and ``fit`` pass their own): kgraph likewise lets the model's mode decide.
    Files kgraph wrote keep the flags a user passed on purpose."""
    if isinstance(config, list):
        return [without_recorded_training(v) for v in config]
    if not isinstance(config, dict):
        return config
    out = {k: without_recorded_training(v) for k, v in config.items()}
    if "inbound_nodes" in out and isinstance(out["inbound_nodes"], list):
        out["inbound_nodes"] = [
            {**node, "kwargs": {k: v for k, v in node["kwargs"].items() if k != "training"}}
            if isinstance(node, dict) and isinstance(node.get("kwargs"), dict)
            else node
            for node in out["inbound_nodes"]
        ]
    return out
