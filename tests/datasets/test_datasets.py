"""``kgraph.datasets``: Keras' file names and formats read from a temporary Keras cache,
hash checks, downloads (from a local ``file://`` origin) and the offline / wrong-format
errors."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from kgraph import datasets
from kgraph.datasets.cache import DatasetFileError
from tests.datasets.conftest import (
    RNG,
    ragged,
    sha256,
    write_cifar10,
    write_cifar100,
    write_idx,
    write_npz,
)


def test_mnist_reads_the_keras_file(cache, monkeypatch):
    arrays = {
        "x_train": RNG.integers(0, 255, (6, 28, 28), dtype=np.uint8),
        "y_train": np.arange(6, dtype=np.uint8),
        "x_test": RNG.integers(0, 255, (2, 28, 28), dtype=np.uint8),
        "y_test": np.arange(2, dtype=np.uint8),
    }
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", write_npz(cache / "mnist.npz", **arrays))
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert x_test.dtype == np.uint8 and y_train.shape == (6,)


def test_fashion_mnist_reads_idx_files(cache):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    images = RNG.integers(0, 255, (3, 28, 28), dtype=np.uint8)
    for split in ("train", "t10k"):
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", np.array([4, 1, 9]), 8)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images, 16)
    (x_train, y_train), (x_test, _) = datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images)
    np.testing.assert_array_equal(y_train, [4, 1, 9])
    assert x_test.shape == (3, 28, 28)


def test_cifar10_and_cifar100_extract_keras_archives(cache, monkeypatch):
    digest, members = write_cifar10(cache)
    monkeypatch.setattr(datasets.cifar10, "FILE_HASH", digest)
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1)
    first = members["data_batch_1"]["data"][0].reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(x_train[0], first)
    np.testing.assert_array_equal(y_test[:, 0], members["test_batch"]["labels"])
    assert x_test.dtype == y_test.dtype == np.uint8
    digest, members = write_cifar100(cache)
    monkeypatch.setattr(datasets.cifar100, "FILE_HASH", digest)
    (_, y_fine), _ = datasets.cifar100.load_data()
    (_, y_coarse), _ = datasets.cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(y_fine[:, 0], members["train"]["fine_labels"])
    np.testing.assert_array_equal(y_coarse[:, 0], members["train"]["coarse_labels"])
    with pytest.raises(ValueError, match="label_mode"):
        datasets.cifar100.load_data(label_mode="medium")


def test_imdb_and_reuters_sequences(cache, monkeypatch):
    digest = write_npz(
        cache / "imdb.npz",
        x_train=ragged(8),
        y_train=np.arange(8) % 2,
        x_test=ragged(5),
        y_test=np.arange(5) % 2,
    )
    monkeypatch.setattr(datasets.imdb, "FILE_HASH", digest)
    (x_train, y_train), (x_test, _) = datasets.imdb.load_data(num_words=20)
    assert x_train.dtype == object and len(x_train) == 8 and len(x_test) == 5
    assert all(seq[0] == 1 and max(seq) < 20 for seq in x_train)
    assert set(y_train.tolist()) <= {0, 1}
    monkeypatch.setattr(
        datasets.reuters,
        "FILE_HASH",
        write_npz(cache / "reuters.npz", x=ragged(10), y=np.arange(10)),
    )
    (x_train, _), (x_test, y_test) = datasets.reuters.load_data(test_split=0.3)
    assert len(x_train) == 7 and len(x_test) == 3 and len(y_test) == 3
    assert len(datasets.reuters.get_label_names()) == 46


def test_housing_splits(cache, monkeypatch):
    x, y = RNG.normal(size=(10, 13)), np.arange(10.0)
    monkeypatch.setattr(
        datasets.boston_housing, "FILE_HASH", write_npz(cache / "boston_housing.npz", x=x, y=y)
    )
    (x_train, y_train), (x_test, _) = datasets.boston_housing.load_data(test_split=0.2)
    assert x_train.shape == (8, 13) and x_test.shape == (2, 13)
    np.testing.assert_array_equal(x_train, x[y_train.astype(int)])  # y is the row number
    path = cache / "california_housing.npz"
    big = RNG.normal(size=(700, 8))
    monkeypatch.setattr(
        datasets.california_housing, "FILE_HASH", write_npz(path, x=big, y=np.arange(700.0))
    )
    (x_train, _), (x_test, _) = datasets.california_housing.load_data(version="small")
    assert len(x_train) + len(x_test) == 600
    with pytest.raises(ValueError, match="test_split"):
        datasets.california_housing.load_data(test_split=1.0)


def test_missing_file_is_downloaded_with_progress_and_checked(cache, tmp_path, monkeypatch, capsys):
    source = tmp_path / "remote.npz"
    digest = write_npz(source, x=np.zeros((5, 13)), y=np.arange(5.0))
    monkeypatch.setattr(datasets.boston_housing, "ORIGIN", source.as_uri())
    monkeypatch.setattr(datasets.boston_housing, "FILE_HASH", digest)
    (x_train, _), _ = datasets.boston_housing.load_data()
    assert x_train.shape == (4, 13)
    assert f"Downloading data from {source.as_uri()}" in capsys.readouterr().out
    assert sha256(cache / "boston_housing.npz") == digest


def test_offline_error_names_file_problem_and_place(cache, monkeypatch):
    monkeypatch.setattr(datasets.mnist, "ORIGIN", "http://127.0.0.1:9/mnist.npz")
    with pytest.raises(DatasetFileError) as info:
        datasets.mnist.load_data()
    message = str(info.value)
    assert "mnist.npz is not in the Keras cache" in message
    assert str(cache / "mnist.npz") in message and "127.0.0.1:9" in message
    (cache / "mnist.npz").write_bytes(b"stale")
    with pytest.raises(DatasetFileError, match="does not match Keras' published hash"):
        datasets.mnist.load_data()


def test_wrong_format_cache_file_is_a_clear_error(cache, monkeypatch):
    path = cache / "mnist.npz"
    path.write_bytes(b"this is not an npz archive")
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", sha256(path))
    with pytest.raises(DatasetFileError, match=r"mnist\.npz is not a valid Keras dataset"):
        datasets.mnist.load_data()
    digest = write_npz(cache / "mnist.npz", x=np.zeros(3))
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", digest)
    with pytest.raises(DatasetFileError, match="no arrays"):
        datasets.mnist.load_data()


def test_pickled_code_is_refused(cache, monkeypatch):
    evil = np.empty(1, dtype=object)
    evil[0] = pathlib.PurePosixPath("/")  # any global outside numpy's array rebuilders
    digest = write_npz(cache / "reuters.npz", x=evil, y=np.zeros(1))
    monkeypatch.setattr(datasets.reuters, "FILE_HASH", digest)
    with pytest.raises(DatasetFileError, match="refusing"):
        datasets.reuters.load_data()
