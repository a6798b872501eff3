"""Atomic file writes: a kill or an exception mid-save leaves the previous file intact.

Writers produce a temporary file in the destination's folder (same file system, so the final
``os.replace`` is atomic), flush it to disk with ``fsync``, and only then rename it over the
destination. On an exception the temporary file is removed and the destination is untouched.
``ModelCheckpoint`` and every ``save``/``save_weights`` path write through these helpers.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def atomic_path(filepath) -> Iterator[str]:
    """Yields a temporary path next to ``filepath``; on success it replaces ``filepath``.

    Use it for writers that need a file name (h5py, zipfile, onnx). The writer must have
    closed the file when the ``with`` block ends.
    """
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"No such directory: '{folder}' (for filepath={filepath})")
    handle, temp = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(filepath)}.", suffix=".tmp"
    )
    os.close(handle)
    try:
        os.chmod(temp, 0o666 & ~_umask())  # the permissions a plain open() would give
        yield temp
        _fsync_file(temp)
        os.replace(temp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    _fsync_folder(folder)


def atomic_write_bytes(filepath, data: bytes) -> None:
    """Writes ``data`` to ``filepath`` atomically (see :func:`atomic_path`)."""
    with atomic_path(filepath) as temp, open(temp, "wb") as file:
        file.write(data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_file(path: str) -> None:
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder: str) -> None:
    """Makes the rename itself durable (where the platform allows opening folders)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
