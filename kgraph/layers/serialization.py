"""``kgraph.layers.serialize`` / ``deserialize``: a layer ↔ its Keras 3 config dict
(``{"module", "class_name", "config", "registered_name"}``), through kgraph.saving."""

from __future__ import annotations


def serialize(layer) -> dict:
    """The Keras config dict of ``layer`` (what ``keras.layers.serialize`` returns)."""
    from kgraph.saving.serialization_lib import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """A new layer from a Keras config dict; ``custom_objects`` maps names to custom classes
    and functions. Raises when the config describes something other than a layer."""
    from kgraph.layers.layer import Layer
    from kgraph.saving.serialization_lib import deserialize_keras_object

    obj = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(obj, Layer):
        raise ValueError(
            "`kgraph.layers.deserialize` was passed a `config` object that is not a "
            f"`kgraph.layers.Layer`. Received: {config}"
        )
    return obj
