"""``kgraph.datasets.reuters``: Keras' Reuters newswire topics (46 classes) as word indices."""

from __future__ import annotations

import json

import numpy as np

from kgraph.datasets import sequences
from kgraph.datasets.cache import BASE_URL, get_file
from kgraph.datasets.readers import load_npz

ORIGIN = BASE_URL + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = [
    "cocoa",
    "grain",
    "veg-oil",
    "earn",
    "acq",
    "wheat",
    "copper",
    "housing",
    "money-supply",
    "coffee",
    "sugar",
    "trade",
    "reserves",
    "ship",
    "cotton",
    "carcass",
    "crude",
    "nat-gas",
    "cpi",
    "money-fx",
    "interest",
    "gnp",
    "meal-feed",
    "alum",
    "oilseed",
    "gold",
    "tin",
    "strategic-metal",
    "livestock",
    "retail",
    "ipi",
    "iron-steel",
    "rubber",
    "heat",
    "jobs",
    "lei",
    "bop",
    "zinc",
    "orange",
    "pet-chem",
    "dlr",
    "gas",
    "silver",
    "wpi",
    "hog",
    "lead",
]


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
):
    """``(x_train, y_train), (x_test, y_test)``: object arrays of index lists and topic
    labels, shuffled, filtered and split exactly as Keras does."""
    f = load_npz(get_file(path, ORIGIN, FILE_HASH), ["x", "y"])
    xs, labels = sequences.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    xs = sequences.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = sequences.drop_long(maxlen, xs, labels)
    xs = sequences.limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (sequences.as_objects(xs[:cut]), np.array(labels[:cut])), (
        sequences.as_objects(xs[cut:]),
        np.array(labels[cut:]),
    )


def get_word_index(path="reuters_word_index.json"):
    """``{word: index}`` (indices before the ``index_from`` offset)."""
    with open(get_file(path, BASE_URL + "reuters_word_index.json", WORD_INDEX_HASH)) as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, in label order."""
    return tuple(LABEL_NAMES)
