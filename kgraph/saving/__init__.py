"""``kgraph.saving``: Keras 3's saving API: ``.keras`` files, ``.weights.h5`` files, legacy
``.h5`` weights, and the custom-object registry. Files written here load in Keras 3 and
Keras 3's files load here."""

from kgraph.saving.atomic import atomic_path, atomic_write_bytes
from kgraph.saving.file_editor import KerasFileEditor
from kgraph.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from kgraph.saving.saving_api import load_model, load_weights, save_model, save_weights
from kgraph.saving.saving_lib import KerasFileError
from kgraph.saving.serialization import deserialize_layer, functional_from_config
from kgraph.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

__all__ = [
    "CustomObjectScope",
    "KerasFileEditor",
    "KerasFileError",
    "atomic_path",
    "atomic_write_bytes",
    "custom_object_scope",
    "deserialize_keras_object",
    "deserialize_layer",
    "functional_from_config",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
