"""The ``.keras`` file: a zip of ``metadata.json``, ``config.json`` and ``model.weights.h5``.

Written atomically (a temporary file in the same folder, fsynced, then renamed over the
target), so an interrupted save leaves the previous file whole. Read defensively: a truncated
or damaged archive, bad JSON, a missing member or an unreadable weights file all raise one
:class:`KerasFileError` naming the file, and no model is returned half-loaded.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

from kgraph.saving.atomic import atomic_path
from kgraph.saving.config_check import check_model_config, without_recorded_training
from kgraph.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kgraph.saving.weights_io import WeightsFileError, read_weights, write_weights

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
#: The Keras release whose file layout kgraph writes (``metadata.json``'s ``keras_version``).
KERAS_VERSION = "3.15.1"
_MAX_EXPANSION, _BOMB_FLOOR = 100, 1 << 32  # refuse zip members that inflate absurdly


class KerasFileError(ValueError):
    """A ``.keras`` or weights file that cannot be read; the message is one line."""


def h5py_module():
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency
        raise ImportError("Saving and loading weights needs h5py: pip install h5py") from None
    return h5py


def model_to_json(model) -> tuple[str, str]:
    """``(config.json, metadata.json)`` text of ``model``."""
    from kgraph.version import __version__

    config = json.dumps(serialize_keras_object(model))
    metadata = json.dumps(
        {
            "keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "kgraph_version": __version__,
        }
    )
    return config, metadata


def weights_bytes(model, include_optimizer: bool = True) -> bytes:
    """The ``model.weights.h5`` file of ``model``, in memory."""
    buffer = io.BytesIO()
    with h5py_module().File(buffer, "w") as h5:
        write_weights(h5, model, include_optimizer)
    return buffer.getvalue()


def save_model(model, filepath, include_optimizer: bool = True) -> None:
    """Writes ``model`` as a ``.keras`` archive at ``filepath`` (atomically)."""
    config, metadata = model_to_json(model)
    weights = weights_bytes(model, include_optimizer)
    with atomic_path(filepath) as temp, zipfile.ZipFile(temp, "w") as archive:
        archive.writestr(METADATA_FILENAME, metadata)
        archive.writestr(CONFIG_FILENAME, config)
        archive.writestr(WEIGHTS_FILENAME, weights)


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise KerasFileError(f"the archive has no {name}") from None
    if info.file_size > _BOMB_FLOOR and info.file_size > _MAX_EXPANSION * info.compress_size:
        raise KerasFileError(f"its member {name} declares an implausible size")
    return archive.read(name)


def read_archive(filepath) -> tuple[dict, dict, bytes | None]:
    """``(config, metadata, weights bytes)`` of a ``.keras`` file or an unzipped folder."""
    names = (CONFIG_FILENAME, METADATA_FILENAME, WEIGHTS_FILENAME)
    if os.path.isdir(filepath):
        files = {}
        for name in names:
            path = os.path.join(filepath, name)
            files[name] = open(path, "rb").read() if os.path.exists(path) else None  # noqa: SIM115
    else:
        with zipfile.ZipFile(filepath, "r") as archive:
            present = set(archive.namelist())
            files = {n: _read_member(archive, n) if n in present else None for n in names}
    if files[CONFIG_FILENAME] is None:
        raise KerasFileError(f"it has no {CONFIG_FILENAME}")
    config, metadata = (_json(files[n], n) for n in (CONFIG_FILENAME, METADATA_FILENAME))
    return config, metadata if isinstance(metadata, dict) else {}, files[WEIGHTS_FILENAME]


def _json(raw: bytes | None, name: str):
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KerasFileError(f"{name} is not valid JSON ({exc})") from None


def _described(filepath, exc: BaseException) -> KerasFileError:
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, zipfile.BadZipFile):
        reason = f"not a valid .keras zip archive ({reason})"
    elif isinstance(exc, (OSError, EOFError)) and not isinstance(exc, FileNotFoundError):
        reason = f"damaged or truncated ({reason})"
    return KerasFileError(f"Cannot load '{os.fspath(filepath)}': {reason}")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """The model stored in a ``.keras`` file (or an unzipped ``.keras`` folder)."""
    if not os.path.exists(filepath):
        raise KerasFileError(
            f"File not found: filepath={os.fspath(filepath)}. Please ensure the file is an "
            "accessible `.keras` zip file."
        )
    try:
        config, metadata, weights = read_archive(filepath)
        check_model_config(config, custom_objects, safe_mode)
        if "kgraph_version" not in metadata:
            config = without_recorded_training(config)
        if not compile:
            config = {**config, "compile_config": None}
        model = deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
        if weights is not None:
            with h5py_module().File(io.BytesIO(weights), "r") as h5:
                read_weights(h5, model)
        elif model.weights:  # never a model with made-up weights
            raise KerasFileError(f"it has no {WEIGHTS_FILENAME} (kgraph reads HDF5 weights only)")
    except KerasFileError as exc:
        if str(exc).startswith("Cannot load"):
            raise
        raise _described(filepath, exc) from None
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        KeyError,
        TypeError,
        ValueError,
        WeightsFileError,
    ) as exc:
        raise _described(filepath, exc) from None
    return model


def load_weights_from_archive(model, filepath, skip_mismatch=False) -> None:
    """Loads the weights stored in a ``.keras`` file into ``model``."""
    try:
        _config, _metadata, weights = read_archive(filepath)
        if weights is None:
            raise KerasFileError(f"the archive has no {WEIGHTS_FILENAME}")
        with h5py_module().File(io.BytesIO(weights), "r") as h5:
            read_weights(h5, model, skip_mismatch)
    except (zipfile.BadZipFile, OSError, EOFError, KerasFileError) as exc:
        raise _described(filepath, exc) from None
