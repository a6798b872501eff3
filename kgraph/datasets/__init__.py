"""``kgraph.datasets``: Keras' bundled datasets, read from Keras' own cache (``KERAS_HOME`` or
``~/.keras/datasets``) and downloaded from Keras' addresses only when missing."""

from kgraph.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
