"""Layer and model configs back to objects: ``{"class_name": ..., "config": ...}`` → instance.

Functional configs list layers with the calls that fed them; tensors in call arguments are
Keras 3's ``{"class_name": "__keras_tensor__", "config": {..., "keras_history": [layer_name,
call_index, output_index]}}`` (kgraph's older ``{"__tensor__": [...]}`` is read too).
Rebuilding replays the calls, deferring any call whose inputs do not exist yet (shared layers
can be called out of order)."""

from __future__ import annotations

from kgraph.saving.serialization_lib import in_safe_mode
from kgraph.utils import tree

_VALUES = ("__slice__", "__ellipsis__", "__numpy__", "__bytes__")  # Keras' spelled constants


def deserialize_layer(item: dict, custom_objects=None):
    """The layer or model described by ``item`` (Keras 3's ``module`` / ``class_name`` /
    ``config`` dict, or kgraph's in-memory ``class_name`` / ``config``), built from its
    ``build_config`` when it has one."""
    from kgraph.saving.serialization_lib import deserialize_keras_object

    if item.get("class_name") in (None, "__keras_tensor__", "function"):
        raise ValueError(f"Not a layer config: {item!r}")
    return deserialize_keras_object(
        {"config": {}, **item}, custom_objects, safe_mode=in_safe_mode() is not False
    )


def functional_from_config(config: dict, custom_objects=None, cls=None):
    """Rebuilds a Functional model (new layers, same structure and names), as ``cls`` (a
    Functional subclass) when given."""
    from kgraph.layers.core.input_layer import InputLayer
    from kgraph.models.functional import Functional

    created: dict[tuple[str, int], list] = {}
    pending = []
    for item in config["layers"]:
        layer = (
            deserialize_layer(item, custom_objects)
            if item["class_name"] != "InputLayer"
            else InputLayer(**item["config"])
        )
        if isinstance(layer, InputLayer):
            created[(layer.name, 0)] = [layer.output_tensor]
        for index, node in enumerate(item.get("inbound_nodes", [])):
            pending.append((layer, index, node))
    while pending:
        progressed = False
        for entry in list(pending):
            layer, index, node = entry
            refs = _refs(node)
            if not all((r[0], r[1]) in created for r in refs):
                continue
            args, kwargs = _decode(node["args"], created), _decode(node["kwargs"], created)
            if kwargs.get("mask", 0) is None:  # Keras records mask=None; kgraph has no masks
                del kwargs["mask"]
            created[(layer.name, index)] = tree.flatten(layer(*args, **kwargs))
            pending.remove(entry)
            progressed = True
        if not progressed:
            raise ValueError("The model config has calls whose inputs are never produced.")

    def tensors(refs):  # one [layer, node, index] ref, or a list or dict of them
        if isinstance(refs, dict):
            return {key: tensors(value) for key, value in refs.items()}
        if len(refs) == 3 and isinstance(refs[0], str):  # also a tuple in Keras' own configs
            return created[(refs[0], refs[1])][refs[2]]
        found = [tensors(r) for r in refs]
        return found if len(found) > 1 else found[0]

    return (cls or Functional)(
        tensors(config["input_layers"]),
        tensors(config["output_layers"]),
        name=config.get("name"),
        trainable=config.get("trainable", True),
    )


def _tensor_ref(value) -> list | None:
    """``[layer, node, index]`` of a tensor argument in a config (Keras' or kgraph's older
    ``{"__tensor__": ref}`` spelling), else None."""
    if not isinstance(value, dict):
        return None
    if "__tensor__" in value:
        return value["__tensor__"]
    if value.get("class_name") == "__keras_tensor__":
        return value["config"]["keras_history"]
    return None


def _refs(structure) -> list:
    if isinstance(structure, dict):
        ref = _tensor_ref(structure)
        if ref is not None:
            return [ref]
        return [r for v in structure.values() for r in _refs(v)]
    if isinstance(structure, (list, tuple)):  # tuples in an in-memory Keras config
        return [r for v in structure for r in _refs(v)]
    return []


def _decode(structure, created):
    from kgraph.saving.serialization_lib import decode_values

    def leaf(v):
        r = _tensor_ref(v)
        return decode_values(v) if r is None else created[(r[0], r[1])][r[2]]

    if isinstance(structure, dict) and _tensor_ref(structure) is None:
        if structure.get("class_name") in _VALUES:  # a slice, Ellipsis or array argument
            return decode_values(structure)
        return {k: _decode(v, created) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_decode(v, created) for v in structure]
    return leaf(structure)
