"""``kgraph.saving.atomic``: the helpers every save (and the checkpoint callbacks) write with."""

from __future__ import annotations

import os
import stat

import pytest

from kgraph.saving import atomic_path, atomic_write_bytes


def test_write_replaces_and_keeps_plain_permissions(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    assert stat.S_IMODE(os.stat(target).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["f.bin", "plain.bin"]


def test_exception_leaves_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"previous")
    with pytest.raises(KeyError), atomic_path(target) as temp:
        assert os.path.dirname(temp) == str(tmp_path)  # same folder: the rename is atomic
        with open(temp, "wb") as file:
            file.write(b"half")
        raise KeyError("interrupted")
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such directory"):
        atomic_write_bytes(tmp_path / "no" / "f.bin", b"x")
