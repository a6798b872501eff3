"""``kgraph.utils.get_file``: Keras' cache layout under ``KERAS_HOME``, hash checks, extraction,
downloads from ``file://`` and a local HTTP server, and the offline error."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from kgraph.utils import file_utils, get_file

PAYLOAD = b"kgraph test payload\n" * 100


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path / "keras_home"


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "origin" / "data.bin"
    path.parent.mkdir()
    path.write_bytes(PAYLOAD)
    return path


def test_downloads_into_keras_home_and_reuses_the_cache(home, source, capsys):
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    path = get_file(origin=source.as_uri(), file_hash=sha)
    assert path == str(home / "datasets" / "data.bin")
    assert Path(path).read_bytes() == PAYLOAD and "Downloading data from" in capsys.readouterr().out
    source.unlink()  # cached: no download needed any more
    assert get_file("data.bin", source.as_uri(), file_hash=sha) == path
    assert capsys.readouterr().out == ""


def test_md5_hash_and_redownload_of_a_stale_file(home, source, capsys):
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    target = home / "models" / "w.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stale")
    path = get_file("w.bin", source.as_uri(), md5_hash=md5, cache_subdir="models")
    assert Path(path).read_bytes() == PAYLOAD
    assert "does not match the original value" in capsys.readouterr().out
    assert file_utils.validate_file(path, md5) and not file_utils.validate_file(path, "0" * 64)


def test_wrong_hash_after_download_fails(home, source):
    with pytest.raises(ValueError, match="Incomplete or corrupted"):
        get_file(origin=source.as_uri(), file_hash="0" * 64)


def test_offline_error_names_the_file_and_where_to_put_it(home):
    origin = "http://127.0.0.1:9/nothing/weights.h5"  # port 9 (discard): nothing listens
    with pytest.raises(file_utils.FileFetchError) as info:
        get_file(origin=origin)
    message = str(info.value)
    assert origin in message and str(home / "datasets" / "weights.h5") in message
    assert "\n" not in message


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_extract_tar_and_zip(home, tmp_path):
    tar_path = tmp_path / "pack.tar.gz"
    _tar(tar_path, {"pack/a.txt": b"A", "pack/b.txt": b"B"})
    folder = get_file("pack.tar.gz", tar_path.as_uri(), extract=True)
    assert folder == str(home / "datasets" / "pack_extracted")
    assert Path(folder, "pack", "a.txt").read_text() == "A"
    zip_path = tmp_path / "z.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("inner/c.txt", "C")
    folder = get_file(origin=zip_path.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert folder == str(tmp_path / "c" / "datasets" / "z.zip")
    assert Path(folder, "inner", "c.txt").read_text() == "C"


def test_unsafe_zip_member_is_refused(home, tmp_path):
    zip_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(zip_path, "w") as z:
        z.writestr("../escape.txt", "x")
    with pytest.raises(ValueError, match="outside"):
        get_file("evil.zip", zip_path.as_uri(), extract=True)
    assert not (home / "datasets" / "escape.txt").exists()


def test_local_http_server(home, source):
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(
        *a, directory=str(source.parent), **k
    )
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/data.bin"
        path = get_file("served.bin", url, force_download=True)
        assert Path(path).read_bytes() == PAYLOAD
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "origin"),
        ({"fname": "a/b.bin", "origin": "file:///x"}, "Paths are no longer accepted"),
        ({"origin": "http://example.com/"}, "Can't parse the file name"),
    ],
)
def test_argument_errors(home, kwargs, match):
    with pytest.raises(ValueError, match=match):
        get_file(**kwargs)
