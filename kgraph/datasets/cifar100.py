"""``kgraph.datasets.cifar100``: Keras' CIFAR-100 (``label_mode`` "fine" or "coarse")."""

from __future__ import annotations

import os

import numpy as np

from kgraph.datasets.cache import get_file
from kgraph.datasets.readers import load_pickled_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
FOLDER = "cifar-100-python-target"


def load_data(label_mode="fine"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 ``(n, 32, 32, 3)`` images and int64
    ``(n, 1)`` labels (100 fine or 20 coarse classes)."""
    if label_mode not in ["fine", "coarse"]:
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.'
        )
    root = os.path.join(get_file(FOLDER, ORIGIN, FILE_HASH, extract=True), "cifar-100-python")
    out = []
    for name in ("train", "test"):
        data, labels = load_pickled_batch(os.path.join(root, name), f"{label_mode}_labels")
        out.append((data.transpose(0, 2, 3, 1), np.reshape(labels, (len(labels), 1))))
    return tuple(out)
