"""``kgraph.datasets.boston_housing``: Keras' Boston housing prices regression data."""

from __future__ import annotations

import numpy as np

from kgraph.datasets.cache import BASE_URL, get_file
from kgraph.datasets.readers import load_npz

ORIGIN = BASE_URL + "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def split_rows(x, y, test_split, seed):
    """Keras' seeded shuffle, then the first ``1 - test_split`` of the rows for training."""
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. "
            "It must be between 0 and 1 (exclusive of 1)."
        )
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: 13 features per house, price in k$."""
    arrays = load_npz(get_file(path, ORIGIN, FILE_HASH), ["x", "y"])
    return split_rows(arrays["x"], arrays["y"], test_split, seed)
