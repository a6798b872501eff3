"""Keras' dataset files through ``kgraph.utils.get_file``: the files Keras downloaded, where
Keras keeps them (``$KERAS_HOME`` or ``~/.keras``, under ``datasets/``), checked against Keras'
published hashes on every load, and downloaded from Keras' addresses only when missing or
stale. Every failure is one ``DatasetFileError`` that names the file, the problem and, when the
download failed (offline), where to put the file.
"""

from __future__ import annotations

import os

from kgraph.utils import file_utils

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


class DatasetFileError(ValueError):
    """A dataset file is missing and cannot be downloaded, or its content is not Keras'."""


def _cached_path(fname: str, cache_subdir: str, extract: bool) -> str:
    """Where ``get_file`` keeps the download (Keras' names: ``<fname>_archive`` for an archive
    to extract whose name has no dot)."""
    folder = os.path.join(file_utils.keras_home(), cache_subdir)
    return os.path.join(folder, f"{fname}_archive" if extract else fname)


def get_file(fname, origin, file_hash=None, cache_subdir="datasets", extract=False) -> str:
    """The path of a cached dataset file (or its extracted folder with ``extract``)."""
    try:
        path = file_utils.get_file(
            fname, origin, file_hash=file_hash, cache_subdir=cache_subdir, extract=extract
        )
    except file_utils.FileFetchError as error:
        target = _cached_path(fname, cache_subdir, extract)
        problem = (
            f"does not match Keras' published hash {file_hash}"
            if os.path.exists(target)
            else "is not in the Keras cache"
        )
        raise DatasetFileError(
            f"Dataset file {os.path.basename(target)} {problem}. {error}"
        ) from None
    except ValueError as error:  # the downloaded file does not match the hash
        raise DatasetFileError(str(error)) from None
    if extract and not os.path.isdir(path):
        archive = _cached_path(fname, cache_subdir, extract)
        raise DatasetFileError(f"Dataset file {archive} is not a tar archive.")
    return path
