"""``kgraph.datasets.imdb``: Keras' IMDB movie review sentiment data as word indices."""

from __future__ import annotations

import json

import numpy as np

from kgraph.datasets import sequences
from kgraph.datasets.cache import BASE_URL, get_file
from kgraph.datasets.readers import load_npz

ORIGIN = BASE_URL + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of index lists and 0/1 labels,
    shuffled and filtered exactly as Keras does."""
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    f = load_npz(get_file(path, ORIGIN, FILE_HASH), ["x_train", "y_train", "x_test", "y_test"])
    rng = np.random.RandomState(seed)
    x_train, labels_train = sequences.shuffled(rng, f["x_train"], f["y_train"])
    x_test, labels_test = sequences.shuffled(rng, f["x_test"], f["y_test"])
    x_train = sequences.shift(x_train, start_char, index_from)
    x_test = sequences.shift(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = sequences.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = sequences.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence "
                "was kept. Increase maxlen."
            )
    xs = sequences.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = len(x_train)
    return (sequences.as_objects(xs[:cut]), labels[:cut]), (
        sequences.as_objects(xs[cut:]),
        labels[cut:],
    )


def get_word_index(path="imdb_word_index.json"):
    """``{word: index}`` (indices before the ``index_from`` offset)."""
    with open(get_file(path, BASE_URL + "imdb_word_index.json", WORD_INDEX_HASH)) as f:
        return json.load(f)
