"""Oracle: ``kgraph.utils.get_file`` puts files and extracted archives where Keras'
``get_file`` does, so each finds the other's cache."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS


@pytest.fixture
def origins(tmp_path):
    folder = tmp_path / "origin"
    folder.mkdir()
    (folder / "plain.txt").write_text("plain")
    with tarfile.open(folder / "pack.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("pack/a.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"A"))
    with zipfile.ZipFile(folder / "bundle.zip", "w") as z:
        z.writestr("b.txt", "B")
    return folder


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": "plain.txt"},
        {"fname": "renamed.txt", "origin": "plain.txt", "cache_subdir": "models"},
        {"fname": "pack.tar.gz", "origin": "pack.tar.gz", "extract": True},
        {"origin": "pack.tar.gz", "extract": True},
        {"fname": "bundle", "origin": "bundle.zip", "extract": True},
    ],
    ids=["plain", "renamed", "extract_named", "extract_unnamed", "extract_no_suffix"],
)
def test_same_paths_and_contents_as_keras(origins, tmp_path, kwargs):
    kwargs = {**kwargs, "origin": (origins / kwargs["origin"]).as_uri()}
    for side in ("ours", "theirs"):  # Keras falls back to /tmp/.keras for a missing cache_dir
        (tmp_path / side).mkdir()
    ours = kgraph.utils.get_file(cache_dir=tmp_path / "ours", **kwargs)
    theirs = keras.utils.get_file(cache_dir=str(tmp_path / "theirs"), **kwargs)
    assert Path(ours).relative_to(tmp_path / "ours") == Path(theirs).relative_to(
        tmp_path / "theirs"
    )
    listing = (
        sorted(p.relative_to(ours) for p in Path(ours).rglob("*")) if Path(ours).is_dir() else None
    )
    if listing is not None:
        assert listing == sorted(p.relative_to(theirs) for p in Path(theirs).rglob("*"))
    else:
        assert Path(ours).read_bytes() == Path(theirs).read_bytes()
