"""``kgraph.datasets.fashion_mnist``: Keras' Fashion-MNIST (four gzipped IDX files in
``datasets/fashion-mnist``; Keras publishes no hash for them, so none is checked)."""

from __future__ import annotations

import os

from kgraph.datasets.cache import BASE_URL, DatasetFileError, get_file
from kgraph.datasets.readers import load_idx

FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)


def _pair(labels_path, images_path):
    labels = load_idx(labels_path, 8)
    images = load_idx(images_path, 16)
    if images.size != len(labels) * 28 * 28:
        raise DatasetFileError(
            f"{images_path} holds {images.size} pixels, not 28x28 for each of the "
            f"{len(labels)} labels in {labels_path}."
        )
    return images.reshape(len(labels), 28, 28), labels


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 28x28 images and uint8 labels."""
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [get_file(name, BASE_URL + name, cache_subdir=subdir) for name in FILES]
    return _pair(paths[0], paths[1]), _pair(paths[2], paths[3])
