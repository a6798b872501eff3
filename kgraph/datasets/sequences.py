"""The word-index sequence options IMDB and Reuters share (Keras' ``load_data`` arguments)."""

from __future__ import annotations

import numpy as np


def shuffled(rng, *arrays):
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return [a[order] for a in arrays]


def shift(xs, start_char, index_from):
    """Prepends ``start_char`` and offsets every index by ``index_from``."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def drop_long(maxlen, xs, labels):
    """Only the sequences shorter than ``maxlen`` (and their labels)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Indices outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped)."""
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def as_objects(xs):
    """A 1-D object array of lists (numpy would make a 2-D array of equal-length lists)."""
    out = np.empty(len(xs), dtype="object")
    out[:] = xs
    return out
