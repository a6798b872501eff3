"""Layer and model configs back to objects: ``{"class_name": ..., "config": ...}`` → instance.

Functional configs list layers with the calls that fed them; tensors in call arguments are
``{"__tensor__": [layer_name, call_index, output_index]}``. Rebuilding replays the calls,
deferring any call whose inputs do not exist yet (shared layers can be called out of order).
"""

from __future__ import annotations

from kgraph.utils import tree


def _registry(custom_objects=None) -> dict:
    from kgraph import layers, models
    from kgraph.layers.layer import Layer

    found = {
        name: obj
        for name, obj in vars(layers).items()
        if isinstance(obj, type) and issubclass(obj, Layer)
    }
    found.update(
        {"Sequential": models.Sequential, "Functional": models.Functional, "Model": models.Model}
    )
    found.update(custom_objects or {})
    return found


def deserialize_layer(item: dict, custom_objects=None):
    """The layer or model described by ``item`` (``class_name`` + ``config``)."""
    registry = _registry(custom_objects)
    name = item.get("class_name")
    cls = registry.get(name)
    if cls is None:
        raise ValueError(f"Unknown layer class '{name}': pass it in custom_objects.")
    config = item.get("config", {})
    if name in ("Sequential", "Functional", "Model"):
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def functional_from_config(config: dict, custom_objects=None):
    """Rebuilds a Functional model (new layers, same structure and names)."""
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
            created[(layer.name, index)] = tree.flatten(layer(*args, **kwargs))
            pending.remove(entry)
            progressed = True
        if not progressed:
            raise ValueError("The model config has calls whose inputs are never produced.")

    def ref(r):
        return created[(r[0], r[1])][r[2]]

    inputs = [ref(r) for r in config["input_layers"]]
    outputs = [ref(r) for r in config["output_layers"]]
    return Functional(
        inputs if len(inputs) > 1 else inputs[0],
        outputs if len(outputs) > 1 else outputs[0],
        name=config.get("name"),
        trainable=config.get("trainable", True),
    )


def _refs(structure) -> list:
    if isinstance(structure, dict):
        if "__tensor__" in structure:
            return [structure["__tensor__"]]
        return [r for v in structure.values() for r in _refs(v)]
    if isinstance(structure, list):
        return [r for v in structure for r in _refs(v)]
    return []


def _decode(structure, created):
    def leaf(v):
        if isinstance(v, dict) and "__tensor__" in v:
            r = v["__tensor__"]
            return created[(r[0], r[1])][r[2]]
        return v

    if isinstance(structure, dict) and "__tensor__" not in structure:
        return {k: _decode(v, created) for k, v in structure.items()}
    if isinstance(structure, list):
        return [_decode(v, created) for v in structure]
    return leaf(structure)
