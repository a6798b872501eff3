"""``kgraph predict`` streams: outputs written batch by batch equal numpy's, for .npy and .npz;
the memory map drops used pages; no temporary is left behind; and predict / inspect import only
what they need (no front end; predict not even onnx)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kgraph.cli import main
from kgraph.cli_files import MappedNpy

sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))
import runtime_models as models

RNG = np.random.default_rng(5)
W = RNG.standard_normal((4, 3)).astype(np.float32)
B = RNG.standard_normal(3).astype(np.float32)


def invoke(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("n", [0, 1, 7, 64, 100])
def test_streamed_npy_equals_numpy(tmp_path: Path, n: int):
    (tmp_path / "m.onnx").write_bytes(models.dense_model(W, B))
    x = RNG.standard_normal((n, 4))  # float64: cast batch by batch
    np.save(tmp_path / "x.npy", x)
    (tmp_path / ".kgraph-999999999-stale.tmp").write_bytes(b"left by a killed run")
    code, out, err = invoke(
        "predict",
        tmp_path / "m.onnx",
        tmp_path / "x.npy",
        "-o",
        tmp_path / "y.npy",
        "--batch-size",
        "8",
        "--device",
        "cpu",
    )
    assert code == 0, err
    assert f"y float32 ({n}, 3)" in out
    y = np.load(tmp_path / "y.npy")
    assert y.dtype == np.float32 and y.shape == (n, 3)
    np.testing.assert_allclose(y, x.astype(np.float32) @ W + B, rtol=1e-5, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "x.npy", "y.npy"]


def test_streamed_npz_with_two_outputs(tmp_path: Path):
    w = RNG.standard_normal((3, 2)).astype(np.float32)
    (tmp_path / "m.onnx").write_bytes(models.two_in_two_out_model(w))
    a, c = RNG.standard_normal((2, 50, 3)).astype(np.float32)
    np.savez(tmp_path / "in.npz", a=a, c=c)
    out_file = tmp_path / "out.npz"
    out_file.write_bytes(b"old")
    out_file.chmod(0o640)
    code, _, err = invoke(
        "predict",
        tmp_path / "m.onnx",
        tmp_path / "in.npz",
        "-o",
        out_file,
        "--batch-size",
        "16",
        "--device",
        "cpu",
    )
    assert code == 0, err
    with np.load(out_file) as result:
        np.testing.assert_allclose(result["s"], (a + c) @ w, rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(result["d"], a - c)
    assert os.stat(out_file).st_mode & 0o777 == 0o640  # an existing output keeps its mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.npz", "m.onnx", "out.npz"]


def test_a_failing_run_leaves_no_file(tmp_path: Path):
    (tmp_path / "m.onnx").write_bytes(models.dense_model(W, B))
    np.save(tmp_path / "x.npy", np.zeros((10, 5), np.float32))
    code, _, err = invoke(
        "predict",
        tmp_path / "m.onnx",
        tmp_path / "x.npy",
        "-o",
        tmp_path / "y.npy",
        "--device",
        "cpu",
    )
    assert code == 2 and "expects shape (batch, 4) float32; received (10, 5) float32" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "x.npy"]


def rss_file_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssFile:"):
                return int(line.split()[1])
    pytest.skip("no RssFile in /proc/self/status")


def test_released_pages_leave_resident_memory(tmp_path: Path):
    np.save(tmp_path / "big.npy", np.ones((64, 1024, 256), np.float32))  # 64 MiB
    mapped = MappedNpy(str(tmp_path / "big.npy"))
    before = rss_file_kb()
    assert float(mapped.array[:, ::1024].sum()) == 64 * 256  # touches every page
    touched = rss_file_kb()
    mapped.release(64)
    released = rss_file_kb()
    assert touched - before > 50_000, (before, touched)
    assert touched - released > 50_000, (touched, released)
    assert float(mapped.array[-1].sum()) == 1024 * 256  # still readable after the release


PROBE = """
import sys
from kgraph.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    heavy = ("onnx", "onnx_ir", "onnxscript", "kgraph.layers", "kgraph.models", "kgraph.ops")
    print("LOADED", sorted(n for n in sys.modules if n in heavy))
"""


def test_predict_and_inspect_import_only_what_they_need(tmp_path: Path):
    (tmp_path / "m.onnx").write_bytes(models.dense_model(W, B))
    np.save(tmp_path / "x.npy", np.ones((2, 4), np.float32))

    def loaded(*args) -> str:
        run = subprocess.run(
            [sys.executable, "-c", PROBE, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        return run.stdout.rsplit("LOADED ", 1)[1].strip()

    assert (
        loaded(
            "predict",
            tmp_path / "m.onnx",
            tmp_path / "x.npy",
            "-o",
            tmp_path / "y.npy",
            "--device",
            "cpu",
        )
        == "[]"
    )
    assert "kgraph." not in loaded("inspect", tmp_path / "m.onnx")  # the compiler, no front end
