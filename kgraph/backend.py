"""``keras.backend``: the backend-level helpers Keras programs call (``clear_session``,
``floatx``, ``epsilon``, dtype checks), over kgraph's own settings (see ``kgraph.config``)."""

from __future__ import annotations

from kgraph import dtypes
from kgraph.config import (
    backend,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from kgraph.utils.keras_utils import clear_session, is_keras_tensor, standardize_dtype

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]

_UIDS: dict[str, int] = {}


def get_uid(prefix="") -> int:
    """1, 2, 3... per ``prefix`` (Keras' unique-name counter)."""
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


def is_float_dtype(dtype) -> bool:
    return dtypes.standardize(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype) -> bool:
    return dtypes.standardize(dtype).startswith(("int", "uint"))


def result_type(*dtypes_) -> str:
    """The dtype Keras' promotion gives to values of these dtypes."""
    return dtypes.result_type(*(dtypes.standardize(d) for d in dtypes_))
