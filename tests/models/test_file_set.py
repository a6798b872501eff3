"""``write_file_set``: a folder gets a whole new set of files or keeps its whole old set, keeps
the user's other files and its mode, and a dead writer's staging folder is cleared next time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kgraph.models import file_set
from kgraph.models.file_set import write_file_set

OLD = {"a.onnx": b"old a", "b.json": b"old b", "c.npz": b"old c"}
NEW = {"a.onnx": b"new a", "b.json": b"new b", "c.npz": b"new c"}


def contents(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)}


def test_new_folder_and_replacement_keep_other_files_and_mode(tmp_path):
    out = tmp_path / "out"
    write_file_set(str(out), OLD)
    assert contents(out) == OLD
    (out / "notes.txt").write_bytes(b"mine")
    os.chmod(out, 0o750)
    write_file_set(str(out), NEW)
    assert contents(out) == {**NEW, "notes.txt": b"mine"}
    assert os.stat(out).st_mode & 0o777 == 0o750
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "rename_each"])
def test_a_failure_while_writing_leaves_the_old_set(tmp_path, monkeypatch, exchange):
    out = tmp_path / "out"
    write_file_set(str(out), OLD)
    if not exchange:
        monkeypatch.setattr(file_set, "_exchange", lambda a, b: False)

    real_open = open

    def failing_open(path, mode="r", *args, **kwargs):
        if "c.npz" in str(path) and "w" in mode:
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", failing_open)
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: failing_open("c.npz", mode))
    with pytest.raises(OSError, match="No space left"):
        write_file_set(str(out), NEW)
    monkeypatch.undo()
    assert contents(out) == OLD
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_killed_writers_staging_folder_is_removed_on_the_next_write(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = tmp_path / f".kgraph-{dead.stdout.strip()}-x.tmp"
    stale.mkdir()
    (stale / "a.onnx").write_bytes(b"half")
    live = tmp_path / f".kgraph-{os.getpid()}-y.tmp"
    live.write_bytes(b"in use")
    write_file_set(str(tmp_path / "out"), NEW)
    assert sorted(os.listdir(tmp_path)) == [live.name, "out"]


def test_an_existing_file_in_place_of_the_folder_is_left_alone(tmp_path):
    target = tmp_path / "file"
    target.write_bytes(b"keep")
    with pytest.raises(NotADirectoryError):
        write_file_set(str(target), NEW)
    assert target.read_bytes() == b"keep" and sorted(os.listdir(tmp_path)) == ["file"]
