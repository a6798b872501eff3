"""Keras 3's operation nodes in saved functional models (``keras.ops.relu(x)``, ``x + y``,
``x[:, :2]`` between layers), replayed with the ``kgraph.ops`` function of the same name.

Keras saves such a call as ``{"module": "keras.src.ops.numpy", "class_name": "Add", "config":
{"name": ..., <the op's own arguments>}}`` with the call's arguments in ``inbound_nodes``. A
:class:`KerasOpNode` calls ``kgraph.ops.add(*args, **config_arguments)``; like kgraph's own
ops between layers it is left out of ``model.layers`` and has no weights. It is saved again in
Keras' spelling, so the file still loads in Keras.
"""

from __future__ import annotations

from kgraph.layers.core.op_layer import OpLayer
from kgraph.layers.layer import Layer
from kgraph.utils.naming import to_snake_case


def keras_op_function(module: str | None, class_name: str):
    """The ``kgraph.ops`` function for a Keras op class (``keras.src.ops.nn.Relu`` →
    ``kgraph.ops.relu``), or None when the module is not Keras' ops or kgraph lacks it."""
    if not module or not (module.startswith("keras.src.ops") or module.startswith("keras.ops")):
        return None
    from kgraph import ops

    name = to_snake_case(class_name)
    fn = getattr(ops, name, None)
    if not callable(fn):  # ``keras.src.ops.image.Resize`` is ``kgraph.ops.image.resize``
        fn = getattr(getattr(ops, module.rsplit(".", 1)[-1], None), name, None)
    return fn if callable(fn) else None


class KerasOpNode(OpLayer):
    """One call of a Keras op in a functional model.

    Args:
        module: Keras' module of the op class (``keras.src.ops.numpy``).
        class_name: Keras' op class (``Concatenate``).
        name: The node's name.
        **arguments: The op's own arguments from its config (``axis=-1``).
    """

    def __init__(self, module, class_name, name=None, **arguments):
        from kgraph.saving.serialization_lib import decode_values

        fn = keras_op_function(module, class_name)
        if fn is None:
            raise ValueError(f"kgraph.ops has no function for Keras op {module}.{class_name}")
        Layer.__init__(self, name=name)
        self.keras_module, self.keras_class = module, class_name
        self.arguments = decode_values(arguments)
        self._function = fn
        self.built = True

    @property
    def display_type(self) -> str:
        return self.keras_class

    def call(self, *args, **kwargs):
        if self.keras_class == "GetItem" and len(args) == 2 and isinstance(args[1], list):
            args = (args[0], tuple(args[1]))  # JSON turned the index tuple into a list
        arguments = {**self.arguments, **kwargs}
        if (
            self.keras_class == "Einsum"
        ):  # Keras' class holds the subscripts, the function leads with them
            args = (arguments.pop("subscripts"), *args)
        return self._function(*args, **arguments)

    def get_config(self) -> dict:
        from kgraph.saving.serialization_lib import serialize_keras_object

        return {
            "name": self.name,
            "module": self.keras_module,
            "class_name": self.keras_class,
            **serialize_keras_object(self.arguments),
        }


def keras_item(config: dict) -> dict:
    """A node's entry as Keras writes it (without name and inbound nodes), from the node's
    ``get_config()``."""
    config = dict(config)
    module, class_name = config.pop("module"), config.pop("class_name")
    return {
        "module": module,
        "class_name": class_name,
        "config": config,
        "registered_name": class_name,
    }


def from_keras_item(item: dict) -> KerasOpNode:
    """The node for a Keras op entry (``module`` / ``class_name`` / ``config``)."""
    config = dict(item.get("config") or {})
    return KerasOpNode(item.get("module"), item["class_name"], **config)
