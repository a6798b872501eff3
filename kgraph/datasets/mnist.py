"""``kgraph.datasets.mnist``: Keras' MNIST digits (``mnist.npz`` in the Keras cache)."""

from __future__ import annotations

from kgraph.datasets.cache import BASE_URL, get_file
from kgraph.datasets.readers import load_npz

ORIGIN = BASE_URL + "mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 28x28 images and uint8 labels."""
    arrays = load_npz(get_file(path, ORIGIN, FILE_HASH), ["x_train", "y_train", "x_test", "y_test"])
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
