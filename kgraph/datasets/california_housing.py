"""``kgraph.datasets.california_housing``: Keras' California housing regression data."""

from __future__ import annotations

from kgraph.datasets.boston_housing import split_rows
from kgraph.datasets.cache import BASE_URL, get_file
from kgraph.datasets.readers import load_npz

ORIGIN = BASE_URL + "california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``; ``version="small"`` keeps the first 600
    rows."""
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. "
            "It must be between 0 and 1 (exclusive of 1)."
        )
    arrays = load_npz(get_file(path, ORIGIN, FILE_HASH), ["x", "y"])
    x, y = arrays["x"], arrays["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    elif version != "large":
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    return split_rows(x, y, test_split, seed)
