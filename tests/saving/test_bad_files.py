"""Damaged, foreign or unsafe files give one clear error and never a half-loaded model; saves
are atomic (an exception or a kill mid-save leaves the previous file intact)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import kgraph
from kgraph import layers
from kgraph.saving import KerasFileError
from kgraph.saving.lambdas import dump
from tests.saving.models import seed_sequential, set_distinct_weights

ROOT = Path(__file__).resolve().parents[2]


def _dense_model():
    model = kgraph.Sequential([kgraph.Input((3,)), layers.Dense(2, name="d")])
    set_distinct_weights(model)
    return model


def _rewrite(src: Path, dst: Path, **members) -> Path:
    """A copy of the archive ``src`` with some members replaced (None drops one)."""
    with zipfile.ZipFile(src) as archive:
        content = {name: archive.read(name) for name in archive.namelist()}
    for name, value in members.items():
        name = name.replace("__", ".")
        if value is None:
            content.pop(name)
        else:
            content[name] = value
    with zipfile.ZipFile(dst, "w") as archive:
        for name, value in content.items():
            archive.writestr(name, value)
    return dst


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "good.keras"
    _dense_model().save(path)
    return path


def _weights(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("model.weights.h5")


def _config(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


@pytest.mark.parametrize("cut", [0, 10, 200, -40])
def test_truncated_archive_is_one_clear_error(saved, tmp_path, cut):
    data = saved.read_bytes()
    bad = tmp_path / "bad.keras"
    bad.write_bytes(data[:cut])
    with pytest.raises(KerasFileError, match=r"^Cannot load '.*bad\.keras': ") as info:
        kgraph.models.load_model(bad)
    assert "\n" not in str(info.value)


def test_damaged_members(saved, tmp_path):
    cases = {
        "no config": {"config__json": None},
        "bad json": {"config__json": b"{not json"},
        "weights not hdf5": {"model__weights__h5": b"\x89HDF\r\n garbage" * 10},
        "no class": {"config__json": b"{}"},
        "weights truncated": {"model__weights__h5": _weights(saved)[:300]},
        "no weights": {"model__weights__h5": None},
    }
    for label, members in cases.items():
        bad = _rewrite(saved, tmp_path / f"{label.replace(' ', '_')}.keras", **members)
        with pytest.raises(KerasFileError, match=r"^Cannot load") as info:
            kgraph.models.load_model(bad)
        assert "\n" not in str(info.value), label


def test_weights_that_do_not_fit_are_refused(saved, tmp_path):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5.create_group("layers/dense/vars").create_dataset("0", data=np.zeros((3, 5), "f4"))
    bad = _rewrite(saved, tmp_path / "shape.keras", model__weights__h5=buffer.getvalue())
    with pytest.raises(ValueError, match=r"'d'.*expected 2 variables, but received 1"):
        kgraph.models.load_model(bad)


def test_unknown_classes_are_named_together(saved, tmp_path):
    config = _config(saved)
    layers_ = config["config"]["layers"]
    layers_[1]["class_name"] = "MysteryDense"
    layers_.append({**layers_[1], "class_name": "Lambda2", "module": "keras.layers"})
    layers_.append({**layers_[1], "class_name": "Custom", "registered_name": "pkg>Custom"})
    layers_.append({"module": "keras.src.ops.numpy", "class_name": "NoSuchOp", "config": {}})
    bad = _rewrite(saved, tmp_path / "unknown.keras", config__json=json.dumps(config).encode())
    with pytest.raises(ValueError) as info:
        kgraph.models.load_model(bad)
    message = str(info.value)
    assert "MysteryDense, Lambda2, pkg>Custom, NoSuchOp" in message and "\n" not in message


def _lambda_model_file(saved: Path, tmp_path: Path) -> Path:
    config = _config(saved)
    double = lambda x: x * 2.0
    config["config"]["layers"][1]["config"]["activation"] = {
        "class_name": "__lambda__",
        "config": {"value": dump(double)},
    }
    return _rewrite(saved, tmp_path / "lambda.keras", config__json=json.dumps(config).encode())


def test_lambdas_need_safe_mode_off(saved, tmp_path):
    bad = _lambda_model_file(saved, tmp_path)
    with pytest.raises(ValueError, match=r"deserialization of a Python lambda.*safe_mode=False"):
        kgraph.models.load_model(bad)
    model = kgraph.models.load_model(bad, safe_mode=False)
    x = np.array([[1.0, -2.0, 0.5]], np.float32)
    plain = kgraph.models.load_model(saved)
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * plain.predict(x, verbose=0))


def test_lambda_layer_refused_in_safe_mode(saved, tmp_path):
    config = _config(saved)
    function = {"class_name": "__lambda__", "config": {"value": ["AAAA", None, None]}}
    config["config"]["layers"].append(
        {"module": "keras.layers", "class_name": "Lambda", "config": {"function": function}}
    )
    bad = _rewrite(saved, tmp_path / "lambda_layer.keras", config__json=json.dumps(config).encode())
    with pytest.raises(ValueError, match=r"`Lambda` layer.*safe_mode=False"):
        kgraph.models.load_model(bad)


def test_failed_load_weights_leaves_the_model_unchanged(tmp_path):
    model = _dense_model()
    model.save_weights(tmp_path / "good.weights.h5")
    other = kgraph.Sequential([kgraph.Input((3,)), layers.Dense(2), layers.Dense(4)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match="could not be loaded"):
        other.load_weights(tmp_path / "good.weights.h5")
    for got, want in zip(other.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_exception_mid_save_keeps_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    _dense_model().save(path)
    old = path.read_bytes()
    from kgraph.saving import saving_lib

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(saving_lib, "weights_bytes", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _dense_model().save(path)
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]


KILLED_SAVE = textwrap.dedent(
    """
    import sys, time, zipfile
    import kgraph
    from kgraph import layers
    model = kgraph.Sequential([kgraph.Input((3,)), layers.Dense(2)])
    real = zipfile.ZipFile.writestr
    def slow(self, name, data, *a, **k):
        real(self, name, data, *a, **k)
        if name == "config.json":
            print("writing", flush=True)
            time.sleep(60)
    zipfile.ZipFile.writestr = slow
    model.save(sys.argv[1])
    """
)


def test_kill_mid_save_leaves_the_previous_file(tmp_path):
    path = tmp_path / "m.keras"
    model = _dense_model()
    model.save(path)
    old = path.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE, str(path)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == b"writing"
    finally:
        proc.kill()
        proc.wait()
    assert path.read_bytes() == old
    loaded = kgraph.models.load_model(path)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_save_into_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        seed_sequential(kgraph).save(tmp_path / "nowhere" / "m.keras")


def test_links_out_of_the_weights_file_are_refused(tmp_path):
    model = _dense_model()
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "other.h5", "w") as other:
        other["kernel"] = np.ones((3, 2), np.float32)
    with h5py.File(tmp_path / "m.weights.h5", "a") as h5:
        del h5["layers/dense/vars/0"]
        h5["layers/dense/vars/0"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "kernel")
    with pytest.raises(ValueError, match="link out of the stored data"):
        _dense_model().load_weights(tmp_path / "m.weights.h5")
