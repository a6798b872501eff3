"""``kgraph compile m.keras -o m.onnx``: the ONNX graph of a saved model, computed with no deep
learning framework importable; bad files fail with one line, a non-zero exit and no output."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnxruntime as ort
from click.testing import CliRunner

import kgraph
from kgraph import cli
from tests.saving.models import sample, seed_functional, set_distinct_weights

ROOT = Path(__file__).resolve().parents[2]

BLOCKED_COMPILE = textwrap.dedent(
    """
    import sys

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"tensorflow", "torch", "jax", "jaxlib", "keras"}:
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    from kgraph.cli import main

    sys.exit(main(sys.argv[1:]))
    """
)


def test_compile_a_keras_file_without_frameworks(tmp_path):
    model = seed_functional(kgraph)
    set_distinct_weights(model)
    model.save(tmp_path / "m.keras")
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKED_COMPILE, "compile", "m.keras", "-o", "m.onnx"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Wrote m.onnx" in proc.stdout
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    x = sample(model)
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_bad_keras_files_fail_in_one_line(tmp_path):
    (tmp_path / "junk.keras").write_bytes(b"PK\x03\x04 this is not really a zip")
    (tmp_path / "m.onnx").write_bytes(b"previous")
    for name in ("junk.keras", "missing.keras"):
        result = CliRunner().invoke(
            cli.main, ["compile", str(tmp_path / name), "-o", str(tmp_path / "m.onnx")]
        )
        assert result.exit_code != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and name in lines[0], result.stderr
        assert (tmp_path / "m.onnx").read_bytes() == b"previous"


def test_compile_training_artifacts_from_a_compiled_keras_file(tmp_path):
    model = seed_functional(kgraph)
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    result = CliRunner().invoke(
        cli.main, ["compile", str(tmp_path / "m.keras"), "--training", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.stderr
    assert {"step.onnx", "training_spec.json"} <= set(os.listdir(tmp_path / "out"))
