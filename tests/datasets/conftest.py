"""A temporary Keras cache with small files in the formats of Keras' dataset files; the
expected hashes are patched to theirs."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

RNG = np.random.default_rng(0)


def sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The ``datasets`` folder of a fresh ``KERAS_HOME``."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    folder = tmp_path / "keras_home" / "datasets"
    folder.mkdir(parents=True)
    return folder


def ragged(n, top=30):
    out = np.empty(n, dtype=object)
    out[:] = [[int(v) for v in RNG.integers(1, top, RNG.integers(1, 12))] for _ in range(n)]
    return out


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return sha256(path)


def write_idx(path, array, header):
    with gzip.open(path, "wb") as f:
        f.write(b"\0" * header + array.astype(np.uint8).tobytes())


def _pickle_bytes(content):
    return pickle.dumps({k.encode(): v for k, v in content.items()}, protocol=4)


def write_cifar(path, inner, members):
    """A tar.gz holding ``inner/<name>`` pickles of ``{b"data": ..., b"<labels>": ...}``."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            raw = _pickle_bytes(content)
            info = tarfile.TarInfo(f"{inner}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return sha256(path)


def cifar_batch(n, label_keys=("labels",), classes=10):
    content = {"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8)}
    for key in label_keys:
        content[key] = [int(v) for v in RNG.integers(0, classes, n)]
    return content


def write_cifar10(cache):
    members = {f"data_batch_{i}": cifar_batch(3) for i in range(1, 6)}
    members["test_batch"] = cifar_batch(4)
    path = os.path.join(cache, "cifar-10-batches-py-target_archive")
    return write_cifar(path, "cifar-10-batches-py", members), members


def write_cifar100(cache):
    keys = ("fine_labels", "coarse_labels")
    members = {"train": cifar_batch(5, keys, 100), "test": cifar_batch(3, keys, 20)}
    path = os.path.join(cache, "cifar-100-python-target_archive")
    return write_cifar(path, "cifar-100-python", members), members
