"""Readers for the formats of Keras' dataset files, each failing with one ``DatasetFileError``
naming the file when its content is not what Keras' file holds.

IMDB and Reuters store ragged sequences as numpy object arrays and CIFAR its batches as
pickles; those are unpickled with only the three numpy globals that rebuild arrays allowed,
so a tampered file cannot run code.
"""

from __future__ import annotations

import gzip
import io
import pickle
import zipfile

import numpy as np

from kgraph.datasets.cache import DatasetFileError

_ARRAY_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
}


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays, lists, dicts and numbers; refuses every other global."""

    def find_class(self, module, name):
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _npy_member(raw: bytes):
    buffer = io.BytesIO(raw)
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle after the header
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        else:
            np.lib.format.read_array_header_2_0(buffer)
        return ArrayUnpickler(buffer).load()


def load_npz(path: str, keys) -> dict:
    """The arrays ``keys`` of an ``.npz`` file (object arrays included)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {n[: -len(".npy")]: n for n in archive.namelist() if n.endswith(".npy")}
            missing = [k for k in keys if k not in members]
            if missing:
                raise ValueError(f"it has no arrays {missing} (found {sorted(members)})")
            return {k: _npy_member(archive.read(members[k])) for k in keys}
    except (zipfile.BadZipFile, ValueError, OSError, pickle.UnpicklingError, EOFError) as error:
        raise DatasetFileError(f"{path} is not a valid Keras dataset .npz file: {error}") from None


def load_pickled_batch(path: str, label_key: str):
    """``(data (n, 3, 32, 32) uint8, labels list)`` from a CIFAR python batch file."""
    try:
        with open(path, "rb") as f:
            content = ArrayUnpickler(f, encoding="bytes").load()
        content = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in content.items()}
        data = np.asarray(content["data"], dtype=np.uint8)
        return data.reshape(data.shape[0], 3, 32, 32), content[label_key]
    except FileNotFoundError:
        raise DatasetFileError(f"The CIFAR archive has no file {path}.") from None
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, AttributeError) as error:
        raise DatasetFileError(f"{path} is not a valid CIFAR batch file: {error!r}") from None


def load_idx(path: str, offset: int, shape=None):
    """A gzipped IDX file (the MNIST format) as uint8, reshaped to ``(-1, *shape)``."""
    try:
        with gzip.open(path, "rb") as f:
            data = np.frombuffer(f.read(), np.uint8, offset=offset)
        return data if shape is None else data.reshape(-1, *shape)
    except (OSError, EOFError, ValueError) as error:
        raise DatasetFileError(f"{path} is not a valid gzipped IDX file: {error}") from None
