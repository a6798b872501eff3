"""``kgraph.utils``: seeds and data helpers."""

from kgraph.utils.audio_dataset import audio_dataset_from_directory
from kgraph.utils.dataset import AUTOTUNE, Dataset
from kgraph.utils.dataset_utils import split_dataset
from kgraph.utils.file_utils import get_file
from kgraph.utils.image_dataset import image_dataset_from_directory
from kgraph.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kgraph.utils.keras_utils import (
    Config,
    clear_session,
    disable_interactive_logging,
    enable_interactive_logging,
    get_source_inputs,
    is_interactive_logging_enabled,
    is_keras_tensor,
    pack_x_y_sample_weight,
    standardize_dtype,
    unpack_x_y_sample_weight,
)
from kgraph.utils.model_visualization import model_to_dot, plot_model
from kgraph.utils.numerical import to_categorical
from kgraph.utils.progbar import Progbar
from kgraph.utils.py_dataset import PyDataset
from kgraph.utils.seeds import set_random_seed
from kgraph.utils.sequence_utils import normalize, pad_sequences
from kgraph.utils.text_dataset import text_dataset_from_directory
from kgraph.utils.timeseries import timeseries_dataset_from_array

#: Keras' ``keras.utils.Sequence``: the older name of ``PyDataset``.
Sequence = PyDataset

_SAVING_NAMES = (
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
)


def __getattr__(name):
    """The custom-object registry lives in ``kgraph.saving`` and ``FeatureSpace`` is built
    of layers (both imported on first use: ``kgraph.layers`` itself imports this package)."""
    if name == "FeatureSpace":
        from kgraph.utils.feature_space import FeatureSpace

        return FeatureSpace
    if name in ("bounding_boxes", "legacy"):  # written with kgraph.ops; Keras 2 serialization
        import importlib

        module = (
            "kgraph.utils.bounding_boxes" if name == "bounding_boxes" else "kgraph.legacy.saving"
        )
        return importlib.import_module(module)
    if name in _SAVING_NAMES:
        from kgraph import saving

        return getattr(saving, name)
    raise AttributeError(f"module 'kgraph.utils' has no attribute {name!r}")


__all__ = [
    *_SAVING_NAMES,
    "AUTOTUNE",
    "Config",
    "audio_dataset_from_directory",
    "bounding_boxes",
    "legacy",
    "FeatureSpace",
    "Sequence",
    "clear_session",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_source_inputs",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "pack_x_y_sample_weight",
    "standardize_dtype",
    "unpack_x_y_sample_weight",
    "Dataset",
    "Progbar",
    "PyDataset",
    "array_to_img",
    "get_file",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "pad_sequences",
    "plot_model",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "text_dataset_from_directory",
    "timeseries_dataset_from_array",
    "to_categorical",
]
