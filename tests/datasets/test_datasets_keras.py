"""Oracle: on the same files, ``load_data`` returns what Keras 3's ``load_data`` returns (Keras'
``get_file`` is pointed at the temporary cache)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kgraph import datasets
from tests.datasets.conftest import RNG, ragged, write_cifar10, write_npz
from tests.oracle.keras_oracle import MARKS

pytestmark = MARKS


def _keras_module(name, monkeypatch, path):
    import importlib

    module = importlib.import_module(f"keras.src.datasets.{name}")
    monkeypatch.setattr(module, "get_file", lambda *args, **kwargs: str(path))
    return module


def _assert_same(ours, theirs):
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype and x.shape == y.shape
            if x.dtype == object:
                assert [list(s) for s in x] == [list(s) for s in y]
            else:
                np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 15, "skip_top": 3},
        {"maxlen": 8, "seed": 5},
        {"start_char": None, "oov_char": None, "num_words": 10},
        {"start_char": None, "index_from": 0},
    ],
)
def test_imdb_and_reuters_match_keras(cache, monkeypatch, kwargs):
    imdb_path = cache / "imdb.npz"
    digest = write_npz(
        imdb_path, x_train=ragged(20), y_train=np.arange(20) % 2, x_test=ragged(9),
        y_test=np.arange(9) % 2,
    )  # fmt: skip
    monkeypatch.setattr(datasets.imdb, "FILE_HASH", digest)
    keras_imdb = _keras_module("imdb", monkeypatch, imdb_path)
    _assert_same(datasets.imdb.load_data(**kwargs), keras_imdb.load_data(**kwargs))
    reuters_path = cache / "reuters.npz"
    digest = write_npz(reuters_path, x=ragged(25), y=np.arange(25) % 7)
    monkeypatch.setattr(datasets.reuters, "FILE_HASH", digest)
    keras_reuters = _keras_module("reuters", monkeypatch, reuters_path)
    _assert_same(datasets.reuters.load_data(**kwargs), keras_reuters.load_data(**kwargs))


def test_housing_mnist_and_cifar10_match_keras(cache, monkeypatch):
    path = cache / "boston_housing.npz"
    digest = write_npz(path, x=RNG.normal(size=(21, 13)), y=RNG.normal(size=21))
    monkeypatch.setattr(datasets.boston_housing, "FILE_HASH", digest)
    keras_boston = _keras_module("boston_housing", monkeypatch, path)
    _assert_same(
        datasets.boston_housing.load_data(test_split=0.3, seed=4),
        keras_boston.load_data(test_split=0.3, seed=4),
    )
    path = cache / "mnist.npz"
    arrays = {k: RNG.integers(0, 255, (3, 28, 28), dtype=np.uint8) for k in ("x_train", "x_test")}
    arrays.update(y_train=np.arange(3, dtype=np.uint8), y_test=np.arange(3, dtype=np.uint8))
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", write_npz(path, **arrays))
    _assert_same(datasets.mnist.load_data(), _keras_module("mnist", monkeypatch, path).load_data())
    digest, _ = write_cifar10(cache)
    monkeypatch.setattr(datasets.cifar10, "FILE_HASH", digest)
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    # Keras' cifar10.load_data assumes 10000 images per batch file; its batch reader is used.
    from keras.src.datasets.cifar import load_batch

    folder = os.path.join(cache, "cifar-10-batches-py-target", "cifar-10-batches-py")
    for i in range(1, 6):
        data, labels = load_batch(os.path.join(folder, f"data_batch_{i}"))
        np.testing.assert_array_equal(x_train[3 * i - 3 : 3 * i], data.transpose(0, 2, 3, 1))
        np.testing.assert_array_equal(y_train[3 * i - 3 : 3 * i, 0], labels)
    data, labels = load_batch(os.path.join(folder, "test_batch"))
    np.testing.assert_array_equal(x_test, data.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test[:, 0], labels)
