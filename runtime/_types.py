"""Type and shape helpers shared by the runtime modules: ORT type strings, feed checks.

onnxruntime describes a graph input by a type string such as ``'tensor(float)'`` and a shape
list whose entries are ints (fixed), strings (symbolic, e.g. ``'batch'``) or None (unknown).
These helpers map the type to a numpy dtype string and check an array against the description,
raising one-line ``ValueError`` messages such as::

    Input 'x' expects shape (batch, 28, 28, 1) float32; received (5, 28, 28) float64.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

Dim = int | str | None

_ORT_TO_NUMPY = {
    "tensor(float)": "float32",
    "tensor(double)": "float64",
    "tensor(float16)": "float16",
    "tensor(bfloat16)": "bfloat16",
    "tensor(int8)": "int8",
    "tensor(int16)": "int16",
    "tensor(int32)": "int32",
    "tensor(int64)": "int64",
    "tensor(uint8)": "uint8",
    "tensor(uint16)": "uint16",
    "tensor(uint32)": "uint32",
    "tensor(uint64)": "uint64",
    "tensor(bool)": "bool",
    "tensor(string)": "str",
    "tensor(complex64)": "complex64",
    "tensor(complex128)": "complex128",
}


def numpy_dtype_name(ort_type: str) -> str:
    """Maps an ORT type string to a numpy dtype name.

    Args:
        ort_type: e.g. ``'tensor(float)'``.

    Returns:
        e.g. ``'float32'``; ``'str'`` for string tensors; the ORT string itself for types with
        no numpy equivalent (sequences, maps).
    """
    return _ORT_TO_NUMPY.get(ort_type, ort_type)


def numpy_dtype(name: str) -> np.dtype | None:
    """Returns the numpy dtype for a :func:`numpy_dtype_name` result; None if numpy has none."""
    if name == "str":
        return None
    try:
        return np.dtype(name)
    except TypeError:
        return None


def format_shape(shape: Sequence[Dim]) -> str:
    """Formats a shape like a Python tuple, with symbolic dims bare and unknown dims as ``?``."""
    dims = ["?" if d is None else str(d) for d in shape]
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(dims) + ")"


def dtype_matches(array: np.ndarray, dtype_name: str) -> bool:
    """Tells whether an array's dtype is what an input of ``dtype_name`` accepts."""
    if dtype_name == "str":
        return array.dtype.kind in "USO"
    expected = numpy_dtype(dtype_name)
    return expected is None or array.dtype == expected


def mismatch_message(
    name: str, shape: Sequence[Dim], dtype_name: str, array: np.ndarray, kind: str = "Input"
) -> str:
    """Builds the one-line message for an array that does not fit an input."""
    received = format_shape(tuple(array.shape))
    return (
        f"{kind} '{name}' expects shape {format_shape(shape)} {dtype_name}; "
        f"received {received} {array.dtype}."
    )


def check_array(
    name: str,
    shape: Sequence[Dim],
    dtype_name: str,
    array: np.ndarray,
    kind: str = "Input",
    scalar: bool = False,
    any_batch: bool = False,
) -> None:
    """Checks rank, fixed dims and dtype of ``array`` against an input description.

    onnxruntime reports both scalars and inputs of unknown rank as shape ``[]``; pass
    ``scalar=True`` when the input is known to be a declared scalar, else an empty shape is
    not checked for rank. ``any_batch=True`` skips the size check of axis 0.

    Raises:
        ValueError: naming the input, the expected and the received shape and dtype.
    """
    ok = dtype_matches(array, dtype_name)
    if ok and (len(shape) > 0 or scalar):
        start = 1 if any_batch else 0
        ok = array.ndim == len(shape) and all(
            not isinstance(d, int) or d == a
            for d, a in zip(shape[start:], array.shape[start:], strict=True)
        )
    if not ok:
        raise ValueError(mismatch_message(name, shape, dtype_name, array, kind))


def cast_same_kind(array: object, dtype_name: str) -> np.ndarray:
    """Converts array-likes to C-contiguous arrays of the expected dtype when that is safe.

    float64 -> float32 and int -> float are converted (numpy's ``same_kind`` casting); other
    conversions (float -> int, numbers -> bool) are left alone so that the later check reports
    the mismatch instead of silently truncating.
    """
    arr = np.asarray(array)
    expected = numpy_dtype(dtype_name)
    if (
        expected is not None
        and arr.dtype != expected
        and np.can_cast(arr.dtype, expected, "same_kind")
    ):
        arr = arr.astype(expected)
    return np.asarray(arr, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)


def first_error_line(exc: BaseException) -> str:
    """Returns the first non-empty line of an exception message, without ORT's code prefix."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    line = lines[0] if lines else type(exc).__name__
    return re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", line)
