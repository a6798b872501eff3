"""The two string hashes of Keras' ``Hashing`` layer, in numpy: FarmHash Fingerprint64
(``farmhashna::Hash64``, what ``tf.strings.to_hash_bucket_fast`` buckets) and SipHash-2-4
(what ``tf.strings.to_hash_bucket_strong`` buckets, keyed by the salt).

No ONNX operator reads the bytes of a string, so these run on numpy, outside any graph.
Both hashes' control flow depends only on the byte length, so strings are grouped by length
and each group is hashed at once on ``uint64`` columns (numpy wraps ``uint64`` products
modulo 2**64, the C arithmetic both hashes are written in).
"""

from __future__ import annotations

import numpy as np

_U64 = np.uint64
K0 = _U64(0xC3A5C85C97CB3127)
K1 = _U64(0xB492B66FBE98F273)
K2 = _U64(0x9AE16A3B2F90404F)


def _rot(v, shift: int):
    return (v >> _U64(shift)) | (v << _U64(64 - shift))


def _shift_mix(v):
    return v ^ (v >> _U64(47))


def _fetch64(rows, at: int):
    """Little-endian uint64 at byte ``at`` of every row of a ``(n, len)`` uint8 matrix."""
    return np.ascontiguousarray(rows[:, at : at + 8]).view("<u8")[:, 0].astype(_U64)


def _fetch32(rows, at: int):
    return np.ascontiguousarray(rows[:, at : at + 4]).view("<u4")[:, 0].astype(_U64)


def _hash_len16(u, v, mul):
    a = (u ^ v) * mul
    a ^= a >> _U64(47)
    b = (v ^ a) * mul
    b ^= b >> _U64(47)
    return b * mul


def _len0to16(s, n: int):
    count = s.shape[0]
    if n >= 8:
        mul = K2 + _U64(n * 2)
        a = _fetch64(s, 0) + K2
        b = _fetch64(s, n - 8)
        c = _rot(b, 37) * mul + a
        d = (_rot(a, 25) + b) * mul
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = K2 + _U64(n * 2)
        a = _fetch32(s, 0)
        return _hash_len16(_U64(n) + (a << _U64(3)), _fetch32(s, n - 4), mul)
    if n > 0:
        y = s[:, 0].astype(_U64) + (s[:, n >> 1].astype(_U64) << _U64(8))
        z = _U64(n) + (s[:, n - 1].astype(_U64) << _U64(2))
        return _shift_mix(y * K2 ^ z * K0) * K2
    return np.full(count, K2, dtype=_U64)


def _len17to32(s, n: int):
    mul = K2 + _U64(n * 2)
    a = _fetch64(s, 0) * K1
    b = _fetch64(s, 8)
    c = _fetch64(s, n - 8) * mul
    d = _fetch64(s, n - 16) * K2
    return _hash_len16(_rot(a + b, 43) + _rot(c, 30) + d, a + _rot(b + K2, 18) + c, mul)


def _len33to64(s, n: int):
    mul = K2 + _U64(n * 2)
    a = _fetch64(s, 0) * K2
    b = _fetch64(s, 8)
    c = _fetch64(s, n - 8) * mul
    d = _fetch64(s, n - 16) * K2
    y = _rot(a + b, 43) + _rot(c, 30) + d
    z = _hash_len16(y, a + _rot(b + K2, 18) + c, mul)
    e = _fetch64(s, 16) * mul
    f = _fetch64(s, 24)
    g = (y + _fetch64(s, n - 32)) * mul
    h = (z + _fetch64(s, n - 24)) * mul
    return _hash_len16(_rot(e + f, 43) + _rot(g, 30) + h, e + _rot(f + a, 18) + g, mul)


def _weak32(s, at: int, a, b):
    """FarmHash's WeakHashLen32WithSeeds on the 32 bytes at ``at``."""
    w, x, y, z = (_fetch64(s, at + 8 * i) for i in range(4))
    a = a + w
    b = _rot(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rot(a, 44)
    return a + z, b + c


def _round(s, at, state, mul, last):
    x, y, z, v, w = state
    nine = _U64(9) if last else _U64(1)
    x = _rot(x + y + v[0] + _fetch64(s, at + 8), 37) * mul
    y = _rot(y + v[1] + _fetch64(s, at + 48), 42) * mul
    x ^= w[1] * nine
    y += v[0] * nine + _fetch64(s, at + 40)
    z = _rot(z + w[0], 33) * mul
    v = _weak32(s, at, v[1] * mul, x + w[0])
    w = _weak32(s, at + 32, z + w[1], y + _fetch64(s, at + 16))
    return z, y, x, v, w  # x and z swap after every round


def _len_over64(s, n: int):
    zero = np.zeros(s.shape[0], dtype=_U64)
    seed = _U64(81)
    y = seed * K1 + _U64(113)
    z = _shift_mix(y * K2 + _U64(113)) * K2
    x = seed * K2 + _fetch64(s, 0)
    state = (x, y + zero, z + zero, (zero, zero), (zero, zero))
    for at in range(0, ((n - 1) // 64) * 64, 64):
        state = _round(s, at, state, K1, last=False)
    x, y, z, v, w = state
    mul = K1 + ((z & _U64(0xFF)) << _U64(1))
    w0 = w[0] + _U64((n - 1) & 63)
    v0 = v[0] + w0
    w0 = w0 + v0
    x, y, z, v, w = _round(s, n - 64, (x, y, z, (v0, v[1]), (w0, w[1])), mul, last=True)
    return _hash_len16(
        _hash_len16(v[0], w[0], mul) + _shift_mix(y) * K0 + z,
        _hash_len16(v[1], w[1], mul) + x,
        mul,
    )


def _farmhash_group(s, n: int):
    if n <= 16:
        return _len0to16(s, n)
    if n <= 32:
        return _len17to32(s, n)
    if n <= 64:
        return _len33to64(s, n)
    return _len_over64(s, n)


_SIP_INIT = (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)


def _sip_round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rot(v1, 64 - 13) ^ v0  # _rot rotates right: left by 13 is right by 51
    v0 = _rot(v0, 32)
    v2 = v2 + v3
    v3 = _rot(v3, 64 - 16) ^ v2
    v0 = v0 + v3
    v3 = _rot(v3, 64 - 21) ^ v0
    v2 = v2 + v1
    v1 = _rot(v1, 64 - 17) ^ v2
    v2 = _rot(v2, 32)
    return v0, v1, v2, v3


def _siphash_group(s, n: int, key):
    """SipHash-2-4 of ``n``-byte rows with the 128-bit key ``(k0, k1)``."""
    k0, k1 = (_U64(int(k) & 0xFFFFFFFFFFFFFFFF) for k in key)
    zero = np.zeros(s.shape[0], dtype=_U64)
    v = [
        zero + (_U64(_SIP_INIT[0]) ^ k0),
        zero + (_U64(_SIP_INIT[1]) ^ k1),
        zero + (_U64(_SIP_INIT[2]) ^ k0),
        zero + (_U64(_SIP_INIT[3]) ^ k1),
    ]
    tail = np.zeros((s.shape[0], 8), dtype=np.uint8)
    full = n - n % 8
    tail[:, : n - full] = s[:, full:n]
    tail[:, 7] = n & 0xFF
    blocks = [_fetch64(s, at) for at in range(0, full, 8)] + [_fetch64(tail, 0)]
    for m in blocks:
        v[3] ^= m
        v = list(_sip_round(*_sip_round(*v)))
        v[0] ^= m
    v[2] ^= _U64(0xFF)
    for _ in range(4):
        v = list(_sip_round(*v))
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _as_bytes(values) -> list[bytes]:
    return [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values]


def hash64(values, key=None) -> np.ndarray:
    """The uint64 hash of every string (``str`` as UTF-8, or ``bytes``) in ``values``:
    Fingerprint64 without ``key``, SipHash-2-4 keyed by the pair ``key`` with it."""
    flat = _as_bytes(np.asarray(values, dtype=object).ravel().tolist())
    out = np.zeros(len(flat), dtype=_U64)
    lengths = np.fromiter((len(b) for b in flat), dtype=np.int64, count=len(flat))
    with np.errstate(over="ignore"):
        for n in np.unique(lengths).tolist():
            where = np.flatnonzero(lengths == n)
            joined = b"".join(flat[i] for i in where.tolist())
            rows = np.frombuffer(joined, dtype=np.uint8).reshape(len(where), n)
            rows = np.pad(rows, ((0, 0), (0, 8)))  # fetches past a short tail read zeros
            if key is None:
                out[where] = _farmhash_group(rows, n)
            else:
                out[where] = _siphash_group(rows, n, key)
    return out.reshape(np.shape(values))


def fingerprint64(data) -> int:
    """FarmHash Fingerprint64 of one ``bytes`` or ``str`` (UTF-8) value."""
    return int(hash64(np.array([data], dtype=object))[0])


def siphash24(data, key) -> int:
    """SipHash-2-4 of one ``bytes`` or ``str`` value with the key pair ``(k0, k1)``."""
    return int(hash64(np.array([data], dtype=object), key)[0])
