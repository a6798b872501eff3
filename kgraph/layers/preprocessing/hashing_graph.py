"""Keras' ``Hashing`` of integers inside a graph: FarmHash Fingerprint64 (or, salted,
SipHash-2-4) of each integer's decimal string, written with integer ONNX ops.

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


_SIP_INIT = (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)


def _sip_round(v0, v1, v2, v3):
    v0 = ops.add(v0, v1)
    v1 = ops.bitwise_xor(_rot(v1, 64 - 13), v0)  # _rot rotates right: 64 - b rotates left
    v0 = _rot(v0, 32)
    v2 = ops.add(v2, v3)
    v3 = ops.bitwise_xor(_rot(v3, 64 - 16), v2)
    v0 = ops.add(v0, v3)
    v3 = ops.bitwise_xor(_rot(v3, 64 - 21), v0)
    v2 = ops.add(v2, v1)
    v1 = ops.bitwise_xor(_rot(v1, 64 - 17), v2)
    return v0, v1, _rot(v2, 32), v3


def siphash_of_decimal(x, key):
    """SipHash-2-4 of ``str(x)`` keyed by ``key`` for an int64 tensor ``x``, as int64 bits.

    A decimal string has 1 to 20 bytes: one, two or three 8-byte blocks, the last one holding
    the tail and the length in its top byte. Every element compresses three blocks and keeps
    the state of the blocks its length has. The codes are zero past the string's end, so a
    tail block is the word at its offset with the length OR-ed in."""
    codes, length = _decimal_bytes(x)
    last = ops.right_shift(length, np.int64(3))  # index of the tail block
    zero = ops.multiply(_u(length), np.uint64(0))
    k0, k1 = (np.uint64(int(k) & 0xFFFFFFFFFFFFFFFF) for k in key)
    init = (_SIP_INIT[0] ^ k0, _SIP_INIT[1] ^ k1, _SIP_INIT[2] ^ k0, _SIP_INIT[3] ^ k1)
    state = [ops.add(zero, np.uint64(v)) for v in init]
    size = ops.left_shift(_u(length), np.uint64(56))
    for block in range(3):
        is_tail = ops.equal(last, np.int64(block))
        word = ops.bitwise_or(_fetch(codes, 8 * block, 8), _u(ops.where(is_tail, _i(size), 0)))
        v0, v1, v2, v3 = state
        v3 = ops.bitwise_xor(v3, word)
        for _ in range(2):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        v0 = ops.bitwise_xor(v0, word)
        taken = ops.less_equal(np.int64(block), last)
        state = [
            _u(ops.where(taken, _i(new), _i(old))) for new, old in zip((v0, v1, v2, v3), state)
        ]
    v0, v1, v2, v3 = state
    v2 = ops.bitwise_xor(v2, np.uint64(0xFF))
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return _i(ops.bitwise_xor(ops.bitwise_xor(v0, v1), ops.bitwise_xor(v2, v3)))


def _unsigned_mod(bits, n: int):
    """``uint64(bits) % n`` in int64 arithmetic (``n <= 2**31`` keeps it exact)."""
    unsigned = _u(bits)
    high = _i(ops.right_shift(unsigned, np.uint64(32)))
    low = _i(ops.bitwise_and(unsigned, np.uint64(0xFFFFFFFF)))
    folded = ops.mod(high, np.int64(n)) * np.int64(2**32 % n) + low
    return ops.mod(folded, np.int64(n))


def integer_bins(x, num_bins: int, key=None):
    """``hash(str(x)) % num_bins`` for integer, float (truncated) or bool ``x``
    (``num_bins <= 2**31``): FarmHash Fingerprint64, or SipHash-2-4 with the pair ``key``."""

    def constant_bin(text: bytes) -> np.int64:
        return np.int64(int(hash64([text], key)[0]) % num_bins)

    if x.dtype == "bool":
        return ops.where(x, constant_bin(b"true"), constant_bin(b"false"))
    x = _i(x)
    hashed = fingerprint_of_decimal(x) if key is None else siphash_of_decimal(x, key)
    bins = _unsigned_mod(hashed, num_bins)
    lowest = constant_bin(str(_INT64_MIN).encode())
    return ops.where(ops.equal(x, _INT64_MIN), lowest, bins)
