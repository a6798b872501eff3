"""Atomic model files for the checkpointing callbacks.

A save first writes a hidden sibling file (same folder, so the same file system, and the
same extension, so ``model.save`` accepts it), flushes it to disk, then renames it over the
target with ``os.replace``. A process killed at any point leaves either the previous file or the
new one, never a half-written one; a leftover temporary file is removed by the next save.
"""

from __future__ import annotations

import contextlib
import glob
import os

#: What each extension holds (the longest match wins: ``.weights.h5`` before ``.h5``).
EXTENSIONS = (".weights.h5", ".keras", ".onnx", ".h5")


def extension(filepath: str) -> str | None:
    """The checkpoint extension of ``filepath``, or None."""
    return next((ext for ext in EXTENSIONS if filepath.endswith(ext)), None)


def _temporary_path(filepath: str, ext: str, pid: str) -> str:
    folder, name = os.path.split(filepath)
    return os.path.join(folder, f".{name[: -len(ext)]}.{pid}.tmp{ext}")


def _remove_leftovers(filepath: str, ext: str) -> None:
    """Temporary files of ``filepath`` left by a process killed while saving."""
    pattern = _temporary_path(glob.escape(filepath), ext, "*")
    for path in glob.glob(pattern):
        with contextlib.suppress(OSError):
            os.remove(path)


def _fsync(path: str) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def write_model_file(model, filepath: str, weights_only: bool = False) -> None:
    """Saves ``model`` to ``filepath`` by extension, atomically.

    ``.weights.h5``: ``model.save_weights``; ``.keras`` (and legacy ``.h5``): ``model.save``,
    or the weights only with ``weights_only``; ``.onnx``: the inference graph
    (``model.to_onnx_bytes()``, as ``model.export`` writes it).
    """
    ext = extension(filepath)
    if ext is None:
        raise ValueError(
            "The checkpoint filepath must end in `.keras`, `.weights.h5`, `.h5` or `.onnx`. "
            f"Received: filepath={filepath}"
        )
    folder = os.path.dirname(filepath)
    if folder:
        os.makedirs(folder, exist_ok=True)
    _remove_leftovers(filepath, ext)
    temporary = _temporary_path(filepath, ext, str(os.getpid()))
    try:
        if ext == ".onnx":
            with open(temporary, "wb") as f:
                f.write(model.to_onnx_bytes())
        elif weights_only or ext == ".weights.h5":
            model.save_weights(temporary, overwrite=True)
        else:
            model.save(temporary, overwrite=True)
        _fsync(temporary)
        os.replace(temporary, filepath)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
