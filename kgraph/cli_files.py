"""What the ``kgraph`` command line reads besides MODEL.py files: ONNX files and arrays.

Kept apart from :mod:`kgraph.cli_loading` (which imports the front end to run MODEL.py files)
so that ``kgraph predict`` and ``kgraph inspect`` import only what they need. Every problem with
a file is raised as :class:`LoadError`, whose message is one line that names the file.
"""

from __future__ import annotations

import os


class LoadError(Exception):
    """A problem with a file the user gave; the message is a single line."""


def one_line(text: object, limit: int = 400) -> str:
    """Joins a possibly multi-line message into one line, shortened to ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def check_file(path: str, what: str) -> None:
    """Raises :class:`LoadError` unless ``path`` is a regular file (a pipe, a device such as
    ``/dev/zero`` or a process substitution could be read without end or only once)."""
    if not os.path.exists(path):
        raise LoadError(f"{path}: no such file")
    if os.path.isdir(path):
        raise LoadError(f"{path}: is a directory, not {what}")
    if not os.path.isfile(path):
        raise LoadError(f"{path}: not a regular file (a pipe or a device); give {what} on disk")


def load_onnx(path: str):
    """Loads ``path`` into an ``onnx_ir.Model`` (external data is not read).

    Raises:
        LoadError: if the file is missing, unreadable, or not an ONNX model.
    """
    from kgraph.compiler.serde import InvalidModelError, load

    check_file(path, "an ONNX file")
    try:
        return load(path)
    except OSError as exc:
        raise LoadError(f"cannot read {path}: {exc.strerror or exc}") from None
    except InvalidModelError as exc:
        raise LoadError(f"{path}: {one_line(exc)}") from None


def _npy_header(path: str):
    """``(shape, fortran_order, dtype, data offset)`` of a ``.npy`` file. A header that claims
    more data than the file holds (a damaged or forged file) fails here, before anything is
    allocated for it."""
    import numpy as np

    with open(path, "rb") as file:
        version = np.lib.format.read_magic(file)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
        offset = file.tell()
    if dtype.hasobject:
        raise LoadError(f"cannot read {path}: it holds Python objects (pickles are not loaded)")
    needed = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    present = os.path.getsize(path) - offset
    if needed > present:
        raise LoadError(
            f"{path}: its header declares an array of shape {tuple(shape)} {dtype} "
            f"({needed:,} bytes) but the file holds {present:,} bytes of data"
        )
    return tuple(shape), fortran, dtype, offset


class MappedNpy:
    """A ``.npy`` file memory-mapped read-only, whose rows can be dropped from memory once
    used (:meth:`release`), so that streaming over it keeps about one batch resident."""

    def __init__(self, path: str):
        import mmap

        import numpy as np

        shape, fortran, dtype, offset = _npy_header(path)
        with open(path, "rb") as file:
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        self.array = np.ndarray(
            shape, dtype, buffer=self._map, offset=offset, order="F" if fortran else "C"
        )
        row = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize if shape else 0
        self._offset, self._row, self._done = offset, 0 if fortran else row, 0

    def release(self, rows: int) -> None:
        """Tells the kernel that the first ``rows`` rows are no longer needed (their pages
        leave this process' resident memory; a later read pages them in again)."""
        import mmap

        end = (self._offset + rows * self._row) // mmap.PAGESIZE * mmap.PAGESIZE
        if end > self._done and hasattr(self._map, "madvise"):
            self._map.madvise(mmap.MADV_DONTNEED, self._done, end - self._done)
            self._done = end


def load_arrays(path: str, input_names: list[str]):
    """Reads model inputs: one array from ``.npy``, or ``{input name: array}`` from ``.npz``.

    An ``.npz`` saved with positional arrays (``arr_0``, ``arr_1``, ...) maps to the inputs in
    order. Nothing is unpickled.

    Raises:
        LoadError: if the file is missing, not ``.npy``/``.npz``, or damaged.
    """
    import zipfile

    import numpy as np

    check_file(path, "a .npy file")
    try:
        with open(path, "rb") as file:
            magic = file.read(6)
        if magic != b"\x93NUMPY" and not magic.startswith(b"PK\x03\x04"):
            raise LoadError(f"cannot read {path}: not a .npy or .npz file")
        if magic == b"\x93NUMPY":
            return MappedNpy(path).array  # pages in as predicted
        loaded = np.load(path, allow_pickle=False)
        with loaded:
            arrays = {key: loaded[key] for key in loaded.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise LoadError(f"cannot read {path} as a .npy/.npz array: {one_line(exc)}") from None
    positional = [f"arr_{i}" for i in range(len(arrays))]
    if set(arrays) != set(input_names) and sorted(arrays) == sorted(positional):
        if len(arrays) != len(input_names):
            raise LoadError(
                f"{path}: the model has {len(input_names)} inputs "
                f"({', '.join(input_names)}); the file holds {len(arrays)} arrays"
            )
        return {name: arrays[key] for name, key in zip(input_names, positional)}
    return arrays
