"""``kgraph.saving.save_model`` / ``load_model`` / ``save_weights`` / ``load_weights``: Keras 3's
entry points, choosing the format by the file's extension as Keras does.

- ``.keras``: the whole model (config, weights, optimizer state), Keras 3's zip format.
- ``.weights.h5``: the weights only, in Keras 3's layout (``skip_mismatch`` to skip layers
  whose weights do not fit).
- ``.h5`` / ``.hdf5`` (loading only): legacy HDF5 files of Keras 2 / tf.keras: whole models
  (``load_model``) and weights (``load_weights``, matched by layer name with ``by_name=True``
  or by position).
"""

from __future__ import annotations

import os

from kgraph.saving import legacy_h5, saving_lib
from kgraph.saving.atomic import atomic_path
from kgraph.saving.saving_lib import KerasFileError
from kgraph.saving.weights_io import WeightsFileError, read_weights, write_weights


def _proceed(filepath, overwrite: bool) -> bool:
    if overwrite or not os.path.exists(filepath):
        return True
    answer = input(f"[WARNING] {os.fspath(filepath)} already exists - overwrite? [y/n] ")
    return answer.strip().lower() in ("y", "yes")


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Saves ``model`` as a ``.keras`` file (config, weights and optimizer state)."""
    include_optimizer = kwargs.pop("include_optimizer", True)
    kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):  # Keras 3 still writes the legacy format, warning
        from kgraph.saving.legacy_save import save_legacy_model

        if _proceed(path, overwrite):
            save_legacy_model(model, path, include_optimizer)
        return
    if zipped is False:
        raise ValueError("kgraph writes zipped `.keras` files only. Received: zipped=False")
    if not path.endswith(".keras"):
        raise ValueError(
            "Invalid filepath extension for saving. Please add a `.keras` extension for the "
            "native Keras format. Use `model.export(filepath)` to write an ONNX file. "
            f"Received: filepath={path}."
        )
    if _proceed(path, overwrite):
        saving_lib.save_model(model, path, include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """Loads a model saved with ``model.save()`` by kgraph or by Keras 3.

    Args:
        filepath: A ``.keras`` file (or an unzipped ``.keras`` folder).
        custom_objects: ``{name: class or function}`` for custom classes in the file.
        compile: Whether to compile the model as it was saved.
        safe_mode: Refuse Python code (lambdas) stored in the file (on by default).
    """
    path = os.fspath(filepath)
    if path.endswith(".keras") or os.path.isdir(path):
        return saving_lib.load_model(path, custom_objects, compile, safe_mode)
    if path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5"):
        return _load_legacy(path, custom_objects, compile, safe_mode)
    raise ValueError(
        f"File format not supported: filepath={path}. kgraph loads `.keras` files "
        "(Keras 3's format); `.weights.h5` and legacy `.h5` files hold weights only: load "
        "them with model.load_weights()."
    )


def _load_legacy(path, custom_objects, compile, safe_mode):  # noqa: A002
    from kgraph.saving.legacy_model import load_legacy_model

    if not os.path.exists(path):
        raise KerasFileError(f"File not found: filepath={path}.")
    try:
        with saving_lib.h5py_module().File(path, "r") as h5:
            return load_legacy_model(h5, custom_objects, compile, safe_mode)
    except (OSError, EOFError, KeyError, TypeError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise KerasFileError(f"Cannot load '{path}': {reason}") from None


def save_weights(model, filepath, overwrite=True, max_shard_size=None, **kwargs):
    """Saves the model's weights (and optimizer state) in Keras 3's ``.weights.h5`` layout."""
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if max_shard_size is not None or kwargs:
        raise ValueError("kgraph does not shard weight files: max_shard_size is not supported.")
    if not model.built:
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model first "
            "by calling it on some data or by using `build()`."
        )
    if not _proceed(path, overwrite):
        return
    h5py = saving_lib.h5py_module()
    with atomic_path(path) as temp, h5py.File(temp, "w") as h5:
        write_weights(h5, model)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Loads weights from a ``.weights.h5``, ``.keras`` or legacy ``.h5`` file."""
    path = os.fspath(filepath)
    by_name = kwargs.pop("by_name", None)
    if kwargs.pop("objects_to_skip", None) is not None:
        raise ValueError("kgraph does not support `objects_to_skip` in load_weights.")
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if not model.built:
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building "
            "the model first by calling it on some data or by using `build()`."
        )
    legacy = path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5")
    if by_name is not None and not legacy:
        raise ValueError(
            f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {path}"
        )
    if not path.endswith((".keras", ".h5", ".hdf5")):
        raise ValueError(
            f"File format not supported: filepath={path}. kgraph loads weights from `.keras` "
            "files, `.weights.h5` files and legacy H5 files (`.h5` extension)."
        )
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'")
    if path.endswith(".keras"):
        return saving_lib.load_weights_from_archive(model, path, skip_mismatch)
    h5py = saving_lib.h5py_module()
    try:
        with h5py.File(path, "r") as h5:
            if not legacy:
                return read_weights(h5, model, skip_mismatch)
            group = legacy_h5.weights_group(h5)
            load = legacy_h5.load_weights_by_name if by_name else legacy_h5.load_weights_by_position
            load(group, model, skip_mismatch)
    except (OSError, EOFError, KeyError, WeightsFileError) as exc:
        reason = " ".join(str(exc).split())
        raise KerasFileError(f"Cannot load weights from '{path}': {reason}") from None


def model_from_json(json_string, custom_objects=None):
    """The model (new weights) a ``model.to_json()`` string describes, as in Keras."""
    import json

    from kgraph.saving.config_check import check_model_config
    from kgraph.saving.serialization_lib import deserialize_keras_object

    config = json.loads(json_string)
    check_model_config(config, custom_objects)
    return deserialize_keras_object(config, custom_objects)
