"""``get_file`` (Keras' signature and cache layout), with ``hash_file``, ``validate_file`` and
``extract_archive``.

Files land in ``<cache_dir>/<cache_subdir>``: by default ``$KERAS_HOME/datasets`` or
``~/.keras/datasets`` (under the temporary folder when that is not writable), where Keras puts
them, so files Keras downloaded are found. A cached file whose hash differs from ``file_hash``
is downloaded again. When a download is needed and fails (offline), one error names the file
and where to put it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from kgraph.utils.progbar import Progbar


class FileFetchError(Exception):
    """A file ``get_file`` needed could not be downloaded."""


def keras_home() -> str:
    """``$KERAS_HOME``, else ``~/.keras``."""
    if "KERAS_HOME" in os.environ:
        return os.path.expanduser(os.environ["KERAS_HOME"])
    return os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(algorithm: str, file_hash: str | None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535) -> str:
    """The hex digest of a file (``"sha256"`` or ``"md5"``)."""
    hasher = _hasher(algorithm, None) if algorithm != "auto" else hashlib.sha256()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535) -> bool:
    """Whether the file's hash is ``file_hash`` (sha256 for 64 hex digits with ``"auto"``)."""
    hasher = "sha256" if _hasher(algorithm, file_hash).name == "sha256" else "md5"
    return str(hash_file(fpath, hasher, chunk_size)) == str(file_hash)


def _safe_members(root: str, names) -> None:
    root = os.path.realpath(root)
    for name in names:
        target = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, target]) != root:
            raise ValueError(f"Archive member {name!r} would be extracted outside {root}.")


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extracts a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``) or zip archive into ``path``.

    Args:
        archive_format: ``"auto"`` (tar, then zip), ``"tar"``, ``"zip"``, a list, or None.

    Returns:
        Whether the file was an archive of an accepted format (and was extracted).
    """
    if not archive_format:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    for kind in [formats] if isinstance(formats, str) else formats:
        if kind not in ("tar", "zip"):
            raise NotImplementedError(kind)
        is_match = tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile
        if not is_match(file_path):
            continue
        try:
            if kind == "tar":
                with tarfile.open(file_path) as archive:
                    archive.extractall(path, filter="data")
            else:
                with zipfile.ZipFile(file_path) as archive:
                    _safe_members(path, archive.namelist())
                    archive.extractall(path)
        except (tarfile.TarError, zipfile.BadZipFile, ValueError, OSError):
            shutil.rmtree(path, ignore_errors=True)
            raise
        return True
    return False


def _download(origin: str, target: str) -> None:
    print(f"Downloading data from {origin}")
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".download-")
    try:
        with urllib.request.urlopen(origin, timeout=60) as response, os.fdopen(handle, "wb") as f:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar, done = Progbar(total), 0
            for chunk in iter(lambda: response.read(1 << 16), b""):
                f.write(chunk)
                done += len(chunk)
                bar.update(done, finalize=False)
            bar.finish()
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _targets(fname, origin, datadir: str, extract: bool) -> tuple[str, str | None]:
    """(download path, extraction folder) as Keras 3 names them."""
    given = fname is not None and os.fspath(fname) != ""
    fname = os.fspath(fname) if given else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(
            f"Can't parse the file name from the origin provided: '{origin}'."
            "Please specify the `fname` argument."
        )
    if given and os.sep in fname:
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's "
            f"parent directory, use the `cache_dir` argument. Received: fname={fname}"
        )
    if not extract:
        return os.path.join(datadir, fname), None
    if given and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from ``origin`` unless it is already cached, and returns its path.

    Args:
        fname: File name in the cache (the last part of ``origin`` when None).
        origin: URL of the file (``http(s)://``, ``file://``...).
        untar: Deprecated: ``extract=True`` with a tar archive.
        md5_hash: Deprecated: ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: Expected sha256 or md5 hex digest of the file.
        cache_subdir: Sub-folder of ``cache_dir``.
        hash_algorithm: ``"md5"``, ``"sha256"`` or ``"auto"`` (by the hash's length).
        extract: Extract the archive; returns the extraction folder.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"`` or None.
        cache_dir: Cache root (``$KERAS_HOME`` or ``~/.keras`` when None).
        force_download: Download even when the file is cached.

    Raises:
        FileFetchError: when the download fails (offline): names the file and where to put it.
        ValueError: when the downloaded file does not match ``file_hash``.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    if not os.access(base, os.W_OK) and os.path.exists(base):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    target, folder = _targets(fname, origin, datadir, extract or untar)
    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, hash_algorithm)
    ):
        print(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"{hash_algorithm} file hash does not match the original value of {file_hash} so "
            "we will re-download the data."
        )
        download = True
    if download:
        try:
            _download(origin, target)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise FileFetchError(
                f"URL fetch failure on {origin}: {getattr(error, 'reason', error)}. "
                f"To use {os.path.basename(target)} offline, download it on a machine with "
                f"network access and place it at {target}."
            ) from None
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file hash of "
                f"{target} does not match the provided value of {file_hash}."
            )
    if folder is None:
        return target
    fresh = download or not os.path.exists(folder)
    if fresh and not extract_archive(target, folder, "tar" if untar else archive_format):
        warnings.warn("Could not extract archive.", stacklevel=2)
    return folder
