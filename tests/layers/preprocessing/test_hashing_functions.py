"""The numpy FarmHash Fingerprint64 and SipHash-2-4 against independent references: the
``pyfarmhash`` C++ bindings (Google's farmhash, whose ``fingerprint64`` is TensorFlow's
``Fingerprint64``), SipHash's published test vectors, and TensorFlow's bins quoted in Keras'
``Hashing`` docstring."""

import numpy as np
import pytest

from kgraph.layers.preprocessing.hashing_functions import fingerprint64, hash64, siphash24

farmhash = pytest.importorskip("farmhash")


def _random_bytes(rng, n):
    return rng.integers(0, 256, n, dtype=np.uint8).tobytes()


def test_fingerprint64_matches_farmhash_at_every_length_path():
    rng = np.random.default_rng(0)
    # 0-16, 17-32, 33-64 and the 64-byte loop (one, two and many blocks, every tail length)
    lengths = [*range(0, 140), 191, 192, 193, 256, 1000, 4097]
    values = [_random_bytes(rng, n) for n in lengths for _ in range(3)]
    got = hash64(np.array(values, dtype=object))
    want = np.array([farmhash.fingerprint64(v) for v in values], dtype=np.uint64)
    np.testing.assert_array_equal(got, want)


def test_fingerprint64_of_text_is_its_utf8_bytes():
    words = ["", "A", "héllo", "日本語のテキスト", "x" * 70, "0", "-9223372036854775808"]
    for word in words:
        assert fingerprint64(word) == farmhash.fingerprint64(word.encode("utf-8"))
        assert fingerprint64(word.encode("utf-8")) == fingerprint64(word)


def test_hash64_keeps_the_shape():
    values = np.array([["a", "bb"], ["ccc", "a"]])
    got = hash64(values)
    assert got.shape == (2, 2) and got.dtype == np.uint64
    assert got[0, 0] == got[1, 1] == farmhash.fingerprint64("a")


def _vector_key():
    return (
        int.from_bytes(bytes(range(8)), "little"),
        int.from_bytes(bytes(range(8, 16)), "little"),
    )


@pytest.mark.parametrize(
    "length, expected",
    [  # SipHash-2-4 reference vectors: key 00..0f, message 00..(length-1)
        (0, 0x726FDB47DD0E0E31),
        (1, 0x74F839C593DC67FD),
        (2, 0x0D6C8009D9A94F5A),
        (3, 0x85676696D7FB7E2D),
        (15, 0xA129CA6149BE45E5),  # the example worked through in the SipHash paper
        (63, 0x958A324CEB064572),
    ],
)
def test_siphash24_reference_vectors(length, expected):
    assert siphash24(bytes(range(length)), _vector_key()) == expected


def test_tensorflow_bins_from_keras_docstring():
    letters = list("ABCDE")
    assert [fingerprint64(c) % 3 for c in letters] == [1, 0, 1, 1, 2]
    assert [siphash24(c, (133, 137)) % 3 for c in letters] == [1, 2, 1, 0, 2]
    assert [siphash24(c, (133, 133)) % 3 for c in letters] == [0, 0, 2, 1, 0]


def test_siphash_groups_lengths_independently():
    rng = np.random.default_rng(1)
    values = [_random_bytes(rng, n) for n in (0, 5, 8, 13, 16, 40, 5)]
    key = (7, 2**64 - 1)
    got = hash64(np.array(values, dtype=object), key)
    assert [int(h) for h in got] == [siphash24(v, key) for v in values]
    assert got[1] != got[6]  # same length, different bytes
