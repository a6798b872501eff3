"""Where each variable lives in ``model.weights.h5``, as Keras 3's ``saving_lib`` lays it out.

Keras walks the object tree: a Sequential or Functional model first lists ``layers``, then
every other attribute holding a layer or a container of layers, sorted by name with private
ones last. A layer in a container is addressed by its class name in snake case, made unique
within the container (``layers/dense``, ``layers/dense_1``), never by its own name; an
attribute's layer by the attribute name (``block/d1``). Each object's own variables (trainable,
then non-trainable, in creation order) are datasets ``0``, ``1``... of ``<path>/vars``, whose
``name`` attribute is the object's name; the root's are ``vars``. The optimizer's variables go
under ``optimizer/vars``. Objects already visited are skipped (shared layers are stored once).
"""

from __future__ import annotations

import functools

from kgraph.utils.naming import to_snake_case

#: Attributes never walked (back references and kgraph's bookkeeping of the graph).
_ALWAYS_SKIPPED = {
    "_outer",
    "_layers",
    "_inbound_nodes",
    "_nodes",
    "_functional_layers",
    "_stack",
    "_input_layer",
    "inputs",
    "outputs",
    "_inputs_struct",
    "_outputs_struct",
    "optimizer",
}


@functools.cache
def _base_attributes() -> frozenset:
    """Instance attributes every kgraph layer and model has (Keras' skip set)."""
    from kgraph.layers.layer import Layer
    from kgraph.models.sequential import Sequential

    probes = (Layer(name="saving_probe"), Sequential(name="saving_probe"))
    return frozenset().union(*(vars(p) for p in probes)) | _ALWAYS_SKIPPED


def _is_saveable(value) -> bool:
    from kgraph.layers.core.op_layer import OpLayer
    from kgraph.layers.layer import Layer

    return isinstance(value, Layer) and not isinstance(value, OpLayer)


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name


def _children(obj):
    """``(attribute, child)`` pairs in Keras' visiting order. A subclassed model's ``layers``
    property is one of its attributes, walked in name order like the others (so a layer it
    holds under a name after ``layers`` is saved as ``layers/<class>``, as Keras does)."""
    from kgraph.models.functional import Functional
    from kgraph.models.model import Model

    found = {}
    if isinstance(obj, Functional):  # Sequential too: its layers come first
        yield "layers", obj.layers
    elif isinstance(obj, Model):
        found["layers"] = obj.layers
    skipped = _base_attributes()
    found.update(
        {k: v for k, v in vars(obj).items() if not k.startswith("__") and k not in skipped}
    )
    for name in sorted(found, key=_name_key):
        value = found[name]
        if _is_saveable(value) or isinstance(value, (list, tuple, dict)):
            yield name, value


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def layout(model) -> list[tuple[str, str, list]]:
    """``(path, object name, own variables)`` for every layer-like object, in Keras' order;
    ``path`` is ``""`` for the model itself."""
    found: list[tuple[str, str, list]] = []
    _walk(model, "", set(), found)
    return found


def _walk(obj, path: str, seen: set, found: list) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    found.append((path, obj.name, own_variables(obj)))
    for name, child in _children(obj):
        if _is_saveable(child):
            _walk(child, _join(path, name), seen, found)
        else:
            _walk_container(child, _join(path, name), seen, found, set())


def _walk_container(items, path: str, seen: set, found: list, containers: set) -> None:
    if id(items) in containers:
        return
    containers.add(id(items))
    used: dict[str, int] = {}
    for item in items.values() if isinstance(items, dict) else items:
        if _is_saveable(item):
            name = _unique(to_snake_case(type(item).__name__), used)
            _walk(item, _join(path, name), seen, found)
        elif isinstance(item, (list, tuple, dict)):
            name = _unique("container", used)
            _walk_container(item, _join(path, name), seen, found, containers)


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _layers_in(value) -> list:
    from kgraph.layers.layer import Layer

    if isinstance(value, Layer):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [layer for v in value for layer in _layers_in(v)]
    return []


def own_variables(layer) -> list:
    """The layer's own variables in Keras' order (trainable, then non-trainable): its
    ``weights`` without those of the layers it holds, unless the layer lists them itself
    (``saved_own_variables()``: Keras also tracks SpectralNormalization's wrapped kernel)."""
    if hasattr(layer, "saved_own_variables"):
        return layer.saved_own_variables()
    nested = set()
    for name, value in vars(layer).items():
        if name not in ("_outer", "_inbound_nodes"):
            nested |= {id(w) for sub in _layers_in(value) for w in sub.weights}
    return [w for w in layer.weights if id(w) not in nested]


def vars_group_path(path: str) -> str:
    return _join(path, "vars")
