"""``kgraph.datasets.cifar10``: Keras' CIFAR-10 (the python tarball from Toronto, cached as
``datasets/cifar-10-batches-py-target_archive`` and extracted next to it, as Keras does)."""

from __future__ import annotations

import os

import numpy as np

from kgraph.datasets.cache import get_file
from kgraph.datasets.readers import load_pickled_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FOLDER = "cifar-10-batches-py-target"


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 ``(n, 32, 32, 3)`` images (channels
    last) and uint8 ``(n, 1)`` labels."""
    root = os.path.join(get_file(FOLDER, ORIGIN, FILE_HASH, extract=True), "cifar-10-batches-py")
    parts = [
        load_pickled_batch(os.path.join(root, f"data_batch_{i}"), "labels") for i in range(1, 6)
    ]
    x_train = np.concatenate([data for data, _ in parts])
    y_train = np.concatenate([np.asarray(labels, np.uint8) for _, labels in parts])
    x_test, y_test = load_pickled_batch(os.path.join(root, "test_batch"), "labels")
    y_train = y_train.reshape(-1, 1)
    y_test = np.asarray(y_test, np.uint8).reshape(-1, 1)
    return (x_train.transpose(0, 2, 3, 1), y_train), (x_test.transpose(0, 2, 3, 1), y_test)
