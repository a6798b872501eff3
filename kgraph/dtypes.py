"""Dtype names and the promotion rule shared by every op (Keras-like: float32 by default)."""

from __future__ import annotations

import numpy as np

FLOATX = "float32"
_INTS = ("int8", "uint8", "int16", "int32", "int64")
_FLOATS = ("float16", "float32", "float64")


def standardize(dtype) -> str:
    """Returns the canonical dtype name (``'float32'``) of a dtype-like."""
    if dtype is None:
        return FLOATX
    if isinstance(dtype, dict) and dtype.get("class_name") == "DTypePolicy":
        dtype = dtype.get("config", {}).get("name")  # a Keras 3 config's dtype policy
        if dtype not in ("float16", "bfloat16", "float32", "float64", *_INTS, "bool"):
            raise ValueError(f"kgraph supports plain dtype policies only. Received: {dtype!r}")
    if (isinstance(dtype, str) and dtype in ("string", "str")) or dtype is str:
        return "string"  # Keras' name for string tensors (ONNX STRING, numpy object arrays)
    if isinstance(dtype, str) and dtype in ("float", "int"):
        return {"float": FLOATX, "int": "int32"}[dtype]
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype}") from None  # Keras' words


def of_python(value) -> str:
    """The dtype Keras gives a Python value or nested list: float32, int32 or bool."""
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        return "bool"
    if np.issubdtype(arr.dtype, np.integer):
        return "int32"
    return FLOATX


def result_type(*names: str) -> str:
    """Promotes dtypes the way Keras does: any float wins over ints, wider wins otherwise."""
    names = [n for n in names if n is not None]
    floats = [n for n in names if n in _FLOATS]
    if floats:
        return max(floats, key=_FLOATS.index)
    ints = [n for n in names if n in _INTS]
    if ints:
        return max(ints, key=_INTS.index)
    return names[0] if names else FLOATX


def to_numpy(dtype: str):
    """The numpy dtype arrays of ``dtype`` use: ``object`` for ``"string"``."""
    return object if dtype == "string" else dtype
