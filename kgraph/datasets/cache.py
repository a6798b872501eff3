"""Keras' dataset cache: the files Keras downloaded, where Keras keeps them, checked as Keras
checks them; downloads from Keras' addresses when a file is missing or does not match.

The cache folder is ``$KERAS_HOME`` or ``~/.keras`` (``/tmp/.keras`` when that is not
writable), with the datasets under ``datasets/``, so a machine that ran Keras once needs no
download. A cached file is compared with Keras' published hash (sha256 for 64 hex digits, md5
otherwise) on every load. When a download is needed and impossible (offline), one error names
the file, the problem and where to put the file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request

from kgraph.utils.progbar import Progbar

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


class DatasetFileError(ValueError):
    """A dataset file is missing and cannot be downloaded, or cannot be read."""


def keras_home() -> str:
    """Keras' home folder: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if the home
    folder is not writable), as Keras resolves it."""
    if "KERAS_HOME" in os.environ:
        return os.path.expanduser(os.environ["KERAS_HOME"])
    base = os.path.expanduser("~")
    return os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")


def cache_dir(cache_subdir: str = "datasets") -> str:
    base = keras_home()
    if not os.access(base, os.W_OK) and os.path.isdir(base):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    folder = os.path.join(base, cache_subdir)
    os.makedirs(folder, exist_ok=True)
    return folder


def file_digest(path: str, file_hash: str) -> str:
    """The file's sha256 (or md5 when ``file_hash`` is not 64 characters long)."""
    digest = hashlib.sha256() if len(file_hash) == 64 else hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(origin: str, target: str) -> None:
    """Downloads ``origin`` to ``target`` through a temporary file, with a progress bar."""
    print(f"Downloading data from {origin}")
    folder = os.path.dirname(target)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".download-")
    try:
        with urllib.request.urlopen(origin, timeout=60) as response, os.fdopen(handle, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar, done = Progbar(total), 0
            for chunk in iter(lambda: response.read(1 << 16), b""):
                f.write(chunk)
                done += len(chunk)
                bar.update(done)
            bar.seen = done
            bar.finish()
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def get_file(fname, origin, file_hash=None, cache_subdir="datasets", extract=False) -> str:
    """The path of a cached dataset file (or its extracted folder with ``extract``), downloaded
    first when it is absent or its hash differs from ``file_hash``."""
    folder = cache_dir(cache_subdir)
    if extract:
        target = os.path.join(folder, f"{fname}_archive")
    else:
        target = os.path.join(folder, fname)
    problem = None
    if not os.path.exists(target):
        problem = "is not in the Keras cache"
    elif file_hash is not None and file_digest(target, file_hash) != file_hash:
        problem = f"does not match Keras' published hash {file_hash} (incomplete or outdated)"
        print(f"A local file was found, but it {problem}, so we will re-download the data.")
    if problem is not None:
        try:
            _download(origin, target)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise DatasetFileError(
                f"Dataset file {os.path.basename(target)} {problem}, and downloading it from "
                f"{origin} failed ({getattr(error, 'reason', error)}). Download it on a "
                f"machine with network access and place it at {target}."
            ) from None
        if file_hash is not None and file_digest(target, file_hash) != file_hash:
            raise DatasetFileError(
                f"Incomplete or corrupted file detected: {target} downloaded from {origin} "
                f"does not match the expected hash {file_hash}."
            )
    if not extract:
        return target
    extracted = os.path.join(folder, fname)
    if problem is not None or not os.path.isdir(extracted):
        _extract(target, extracted)
    return extracted


def _extract(archive: str, folder: str) -> None:
    if not tarfile.is_tarfile(archive):
        raise DatasetFileError(f"Dataset file {archive} is not a tar archive.")
    shutil.rmtree(folder, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise DatasetFileError(f"Could not extract dataset archive {archive}: {error}") from None
