"""Keras' int4 packing: two signed 4-bit values per byte along an axis (the first of each pair
in the low nibble). kgraph runs no int4 layers; these work on concrete arrays, on the host,
as Keras' ``pack_int4`` does, so int4 checkpoints can be read and written."""

from __future__ import annotations

import numpy as np

from kgraph import ops


def _check_dtype(dtype):
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")


def pack_int4(arr, axis=0, dtype="int8"):
    """``(packed, packed shape, original length of axis)``; an odd length is padded by a 0."""
    _check_dtype(dtype)
    values = np.asarray(ops.convert_to_numpy(arr))
    if values.dtype.name != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {values.dtype.name}.")
    axis = axis + values.ndim if axis < 0 else axis
    front = np.moveaxis(values, axis, 0)
    length = front.shape[0]
    if length % 2:
        front = np.concatenate([front, np.zeros((1, *front.shape[1:]), front.dtype)])
    low = front[::2].astype(np.uint8) & 0x0F
    high = front[1::2].astype(np.uint8) & 0x0F
    packed = np.moveaxis((low | (high << 4)).astype(dtype), 0, axis)
    return packed, tuple(packed.shape), length


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The values ``pack_int4`` packed: signed ``[-8, 7]`` for int8, ``[0, 15]`` for uint8."""
    _check_dtype(dtype)
    values = np.asarray(ops.convert_to_numpy(packed))
    if values.dtype.name not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {values.dtype.name}")
    axis = axis + values.ndim if axis < 0 else axis
    front = np.moveaxis(values, axis, 0).astype(np.uint8)
    nibbles = np.stack([front & 0x0F, front >> 4], axis=1).reshape(-1, *front.shape[1:])
    nibbles = nibbles.astype(np.int16)
    if dtype == "int8":
        nibbles = (nibbles ^ 8) - 8
    return np.moveaxis(nibbles[:orig_len].astype(dtype), 0, axis)
