"""Keras' ``Hashing`` of integers inside a graph: FarmHash Fingerprint64 of each integer's
decimal string, written with integer ONNX ops.

ONNX cannot read a string's bytes, but an integer's decimal string can be built from the
integer: its digits by ``Div``/``Mod``, its bytes as int64 codes in a ``(..., 24)`` tensor.
Such a string has 1 to 20 bytes, so only FarmHash's short paths (0-16 and 17-32 bytes) are
needed; every element computes all four of them and ``Where`` keeps the one for its length.
The hash arithmetic is uint64 (onnxruntime's ``Add``, ``Mul``, ``BitShift`` and the bitwise
ops take it; its ``Where`` and ``Mod`` do not, so selections and the final modulo run on
int64 bit patterns).
"""

from __future__ import annotations

import numpy as np

from kgraph import ops
from kgraph.layers.preprocessing.hashing_functions import K0, K1, K2, hash64

_WIDTH = 24  # 20 bytes at most ("-9223372036854775808"), padded so fetches stay in range
_POWERS = np.array([10**k for k in range(19)], dtype=np.int64)
_INT64_MIN = np.iinfo(np.int64).min


def _u(x):
    return ops.cast(x, "uint64")


def _i(x):
    return ops.cast(x, "int64")


def _add(*xs):
    out = xs[0]
    for x in xs[1:]:
        out = ops.add(out, x)
    return out


def _rot(v, shift: int):
    right = ops.right_shift(v, np.uint64(shift))
    return ops.bitwise_or(right, ops.left_shift(v, np.uint64(64 - shift)))


def _shift_mix(v):
    return ops.bitwise_xor(v, ops.right_shift(v, np.uint64(47)))


def _hash_len16(u, v, mul):
    a = _shift_mix(ops.multiply(ops.bitwise_xor(u, v), mul))
    b = _shift_mix(ops.multiply(ops.bitwise_xor(v, a), mul))
    return ops.multiply(b, mul)


def _decimal_bytes(x):
    """The bytes of ``str(x)`` for int64 ``x`` (except int64's minimum, whose magnitude has
    no int64): ``(..., 24)`` int64 codes, zero past the end, and the lengths."""
    neg = _i(ops.less(x, 0))
    magnitude = ops.abs(ops.where(ops.equal(x, _INT64_MIN), np.int64(0), x))
    column = ops.expand_dims(magnitude, -1)
    digits = ops.mod(ops.floor_divide(column, _POWERS), np.int64(10))  # ones digit first
    count = ops.sum(_i(ops.greater_equal(column, _POWERS[1:])), axis=-1) + np.int64(1)
    length = count + neg
    position = np.arange(_WIDTH, dtype=np.int64)
    from_right = ops.expand_dims(length - np.int64(1), -1) - position
    digit = ops.take_along_axis(digits, ops.clip(from_right, 0, len(_POWERS) - 1), axis=-1)
    codes = ops.where(ops.less(position, ops.expand_dims(length, -1)), digit + np.int64(48), 0)
    codes = ops.where(ops.less(position, ops.expand_dims(neg, -1)), np.int64(45), codes)
    return codes, length


def _fetch(codes, offset, width: int):
    """The little-endian ``width``-byte word at ``offset`` (an int or a tensor) as uint64.
    Bytes are OR-ed in one by one: onnxruntime's int64 ``ReduceSum`` loses the low bits of
    sums past 2**53."""
    if isinstance(offset, int):
        part = ops.take(codes, np.arange(offset, offset + width), axis=-1)
    else:
        start = ops.maximum(offset, np.int64(0))  # lengths that do not take this path
        span = np.arange(width, dtype=np.int64)
        part = ops.take_along_axis(codes, ops.expand_dims(start, -1) + span, axis=-1)
    shifted = ops.left_shift(_u(part), np.arange(0, 8 * width, 8, dtype=np.uint64))
    word = ops.take(shifted, 0, axis=-1)
    for k in range(1, width):
        word = ops.bitwise_or(word, ops.take(shifted, k, axis=-1))
    return word


def _len1to3(codes, length):
    a = _fetch(codes, 0, 1)
    b = _fetch(codes, ops.right_shift(length, np.int64(1)), 1)
    c = _fetch(codes, length - np.int64(1), 1)
    y = ops.add(a, ops.left_shift(b, np.uint64(8)))
    z = ops.add(_u(length), ops.left_shift(c, np.uint64(2)))
    mixed = ops.bitwise_xor(ops.multiply(y, K2), ops.multiply(z, K0))
    return ops.multiply(_shift_mix(mixed), K2)


def _len4to7(codes, length, mul):
    a = _fetch(codes, 0, 4)
    first = ops.add(_u(length), ops.left_shift(a, np.uint64(3)))
    return _hash_len16(first, _fetch(codes, length - np.int64(4), 4), mul)


def _len8to16(codes, length, mul):
    a = ops.add(_fetch(codes, 0, 8), K2)
    b = _fetch(codes, length - np.int64(8), 8)
    c = ops.add(ops.multiply(_rot(b, 37), mul), a)
    d = ops.multiply(ops.add(_rot(a, 25), b), mul)
    return _hash_len16(c, d, mul)


def _len17to32(codes, length, mul):
    a = ops.multiply(_fetch(codes, 0, 8), K1)
    b = _fetch(codes, 8, 8)
    c = ops.multiply(_fetch(codes, length - np.int64(8), 8), mul)
    d = ops.multiply(_fetch(codes, length - np.int64(16), 8), K2)
    first = _add(_rot(ops.add(a, b), 43), _rot(c, 30), d)
    second = _add(a, _rot(ops.add(b, K2), 18), c)
    return _hash_len16(first, second, mul)


def fingerprint_of_decimal(x):
    """FarmHash Fingerprint64 of ``str(x)`` for an int64 tensor ``x``, as int64 bits."""
    codes, length = _decimal_bytes(x)
    mul = ops.add(K2, ops.multiply(_u(length), np.uint64(2)))
    hashed = _i(_len17to32(codes, length, mul))
    for longest, branch in ((16, _len8to16), (7, _len4to7)):
        short = _i(branch(codes, length, mul))
        hashed = ops.where(ops.less_equal(length, np.int64(longest)), short, hashed)
    tiny = _i(_len1to3(codes, length))
    return ops.where(ops.less_equal(length, np.int64(3)), tiny, hashed)


def _unsigned_mod(bits, n: int):
    """``uint64(bits) % n`` in int64 arithmetic (``n <= 2**31`` keeps it exact)."""
    unsigned = _u(bits)
    high = _i(ops.right_shift(unsigned, np.uint64(32)))
    low = _i(ops.bitwise_and(unsigned, np.uint64(0xFFFFFFFF)))
    folded = ops.mod(high, np.int64(n)) * np.int64(2**32 % n) + low
    return ops.mod(folded, np.int64(n))


def _constant_bin(text: bytes, n: int) -> np.int64:
    return np.int64(int(hash64([text])[0]) % n)


def integer_bins(x, num_bins: int):
    """``Fingerprint64(str(x)) % num_bins`` for integer, float (truncated) or bool ``x``
    (``num_bins <= 2**31``)."""
    if x.dtype == "bool":
        true, false = _constant_bin(b"true", num_bins), _constant_bin(b"false", num_bins)
        return ops.where(x, true, false)
    x = _i(x)
    bins = _unsigned_mod(fingerprint_of_decimal(x), num_bins)
    lowest = _constant_bin(str(_INT64_MIN).encode(), num_bins)
    return ops.where(ops.equal(x, _INT64_MIN), lowest, bins)
