"""Training artifacts: ``kgraph compile --training`` writes five files that plain onnxruntime can
train from; ``examples/train_from_artifacts.py`` does so with numpy and onnxruntime only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from click.testing import CliRunner

import kgraph as keras
from kgraph import cli, layers
from kgraph.models import artifacts
from kgraph.models.file_set import write_file_set

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FILES = {"step.onnx", "eval.onnx", "inference.onnx", "initial_state.npz", "training_spec.json"}


def invoke(*args):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def mnist_artifacts(tmp_path_factory):
    """The CLI in its own process: exporting probes no accelerator, so stderr stays empty even
    where onnxruntime-gpu is installed without a usable CUDA."""
    outdir = tmp_path_factory.mktemp("artifacts") / "mnist"
    proc = subprocess.run(
        [sys.executable, "-m", "kgraph", "compile", str(EXAMPLES / "mnist_cnn_training.py")]
        + ["--training", "-o", f"{outdir}/"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return outdir, proc.stdout


def test_cli_training_writes_the_five_files(mnist_artifacts):
    outdir, stdout = mnist_artifacts
    assert {p.name for p in outdir.iterdir()} == FILES
    for name in FILES:
        assert f"Wrote {outdir / name} (" in stdout
    assert "Total params: 216,650" in stdout
    spec = json.loads((outdir / "training_spec.json").read_text())
    assert list(spec["losses"].values()) == ["sparse_categorical_crossentropy"]
    assert spec["metrics"] == ["accuracy"] and spec["optimizer"]["name"] == "adam"
    with np.load(outdir / "initial_state.npz") as state:
        assert set(state.files) == set(spec["state"])
        shapes = {name: state[name].shape for name in spec["parameters"]}
        assert set(shapes.values()) == {(10,), (32,), (3, 3, 1, 32), (21632, 10)}
        assert all(not state[f"{name}/adam_m"].any() for name in shapes)
    step = ort.InferenceSession(str(outdir / "step.onnx"), providers=["CPUExecutionProvider"])
    names = {i.name for i in step.get_inputs()}
    assert names == {*spec["batch_inputs"], *spec["scalar_inputs"], *spec["state"]}
    assert {o.name for o in step.get_outputs()} >= {*spec["fetch"], *spec["state"].values()}
    inference = ort.InferenceSession(
        str(outdir / "inference.onnx"), providers=["CPUExecutionProvider"]
    )
    assert inference.get_outputs()[0].shape[-1] == 10


def run_example(outdir, *extra, prelude=""):
    script = EXAMPLES / "train_from_artifacts.py"
    argv = [str(script), str(outdir), "--epochs", "3", *map(str, extra)]
    code = (
        prelude + f"import runpy, sys\nsys.argv = {argv!r}\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def epoch_losses(stdout):
    return [float(v) for v in re.findall(r"^epoch \d+/3 - loss: ([0-9.]+)", stdout, re.M)]


def test_example_trains_from_artifacts_with_falling_loss(mnist_artifacts):
    outdir, _ = mnist_artifacts
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "train_from_artifacts.py"), str(outdir), "--epochs", "3"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    losses = epoch_losses(proc.stdout)
    assert len(losses) == 3 and losses[2] < losses[1] < losses[0], proc.stdout
    assert "held out" in proc.stdout and "accuracy" in proc.stdout


BLOCKER = textwrap.dedent("""
    import sys
    BLOCKED = ("kgraph", "compiler", "runtime", "onnx", "onnx_ir", "onnxscript")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    import atexit
    atexit.register(lambda: print("loaded:", sorted(
        m for m in sys.modules if m.split(".")[0] in BLOCKED + ("onnxruntime",))))
""")


def test_example_imports_neither_kgraph_nor_compiler_nor_onnx(mnist_artifacts, tmp_path):
    outdir, _ = mnist_artifacts
    np.savez(
        tmp_path / "data.npz",
        x=np.random.default_rng(0).random((64, 28, 28, 1)),
        y=np.arange(64) % 10,
    )
    proc = run_example(
        outdir, "--data", tmp_path / "data.npz", "--save", tmp_path / "s.npz", prelude=BLOCKER
    )
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.strip().splitlines()[-1]
    assert loaded.startswith("loaded: ['onnxruntime'") and "kgraph" not in loaded, loaded
    assert "'onnx'" not in loaded and "'onnx." not in loaded and "compiler" not in loaded
    assert len(epoch_losses(proc.stdout)) == 3
    with np.load(tmp_path / "s.npz") as state:
        assert sorted(state.files) == sorted(
            json.loads((outdir / "training_spec.json").read_text())["state"]
        )


def test_step_graph_matches_numpy_sgd(tmp_path):
    """One plain ``InferenceSession.run`` of the exported step, fed as the spec says."""
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, name="dense")])
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
    paths = artifacts.export_training_artifacts(model, tmp_path / "out")
    spec = json.loads(Path(paths["training_spec.json"]).read_text())
    state = dict(np.load(paths["initial_state.npz"]))
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    y = np.random.default_rng(2).normal(size=(5, 2)).astype(np.float32)
    session = ort.InferenceSession(paths["step.onnx"], providers=["CPUExecutionProvider"])
    feed = {
        spec["batch_inputs"][0]: x,
        "y": y,
        "sample_weight": np.ones(5, np.float32),
        "lr": np.array(spec["learning_rate"], np.float32),
        "step": np.array(1, np.float32),
        **state,
    }
    names = [o.name for o in session.get_outputs()]
    out = dict(zip(names, session.run(names, feed)))
    kernel, bias = state["dense/kernel"].astype(np.float64), state["dense/bias"]
    d_pred = 2 * (x @ kernel + bias - y) / y.size
    np.testing.assert_allclose(out["loss"], np.mean((x @ kernel + bias - y) ** 2), rtol=1e-5)
    momentum = -0.1 * (x.T @ d_pred)  # m = 0.9 * 0 - lr * g; the weight moves by m
    np.testing.assert_allclose(
        out[spec["state"]["dense/kernel"]], kernel + momentum, rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(
        out[spec["state"]["dense/kernel/sgd_momentum"]], momentum, rtol=1e-5, atol=1e-7
    )


def test_not_compiled_model_is_a_one_line_error(tmp_path):
    outdir = tmp_path / "out"
    code, stdout, stderr = invoke("compile", EXAMPLES / "mnist_cnn.py", "--training", "-o", outdir)
    assert code == 2 and stderr.count("\n") == 1, stderr
    assert stderr.startswith("kgraph: error: ") and "is not compiled" in stderr
    assert "model.compile(" in stderr and not outdir.exists() and stdout == ""


def test_bad_options_and_outputs_are_one_line_errors(tmp_path):
    model_file = EXAMPLES / "mnist_cnn_training.py"
    code, _, stderr = invoke(
        "compile", model_file, "--training", "--opset", "18", "-o", tmp_path / "a"
    )
    assert code == 2 and "--opset and --batch-size" in stderr and not (tmp_path / "a").exists()
    target = tmp_path / "file"
    target.write_bytes(b"keep")
    code, _, stderr = invoke("compile", model_file, "--training", "-o", target)
    assert code == 2 and stderr.count("\n") == 1 and target.read_bytes() == b"keep"
    code, _, stderr = invoke("compile", model_file, "--training", "-o", tmp_path / "x" / "y")
    assert code == 2 and "does not exist" in stderr


def test_failed_write_leaves_no_partial_files(tmp_path):
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "step.onnx").write_bytes(b"old")
    payloads = {"step.onnx": b"new", "eval.onnx": None}  # the second write fails
    with pytest.raises(TypeError):
        write_file_set(str(existing), payloads)
    assert os.listdir(existing) == ["step.onnx"]
    assert (existing / "step.onnx").read_bytes() == b"old"
    with pytest.raises(TypeError):
        write_file_set(str(tmp_path / "fresh"), payloads)
    assert sorted(os.listdir(tmp_path)) == ["existing"]  # no new folder, no staging left


def test_export_after_fit_carries_the_trained_state(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, name="dense")])
    model.compile("adam", "mse", metrics=["mae"])
    x = np.random.default_rng(3).normal(size=(8, 3)).astype(np.float32)
    model.fit(x, x[:, :2], batch_size=4, epochs=2, verbose=0)
    paths = artifacts.export_training_artifacts(model, tmp_path)
    spec = json.loads(Path(paths["training_spec.json"]).read_text())
    assert spec["iterations"] == 4 and spec["metric_state"] == [
        "metrics/mae/count",
        "metrics/mae/total",
    ]
    with np.load(paths["initial_state.npz"]) as state:
        np.testing.assert_array_equal(state["dense/kernel"], model.get_weights()[0])
        assert state["dense/kernel/adam_v"].any() and not state["metrics/mae/total"]


def _example_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "train_from_artifacts", EXAMPLES / "train_from_artifacts.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "schedule",
    [
        keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5),
        keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True),
        keras.optimizers.schedules.CosineDecay(0.1, 7, alpha=0.1),
        keras.optimizers.schedules.CosineDecay(0.0, 7, warmup_target=0.2, warmup_steps=3),
        keras.optimizers.schedules.PiecewiseConstantDecay([2, 5], [0.3, 0.2, 0.1]),
    ],
    ids=["exponential", "staircase", "cosine", "cosine-warmup", "piecewise"],
)
def test_schedules_travel_in_the_spec_and_the_example_follows_them(schedule, tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(keras.optimizers.SGD(schedule), "mse")
    artifacts.export_training_artifacts(model, tmp_path)
    written = json.loads((tmp_path / "training_spec.json").read_text())["learning_rate_schedule"]
    assert written["class_name"] == type(schedule).__name__
    rates = [_example_module().learning_rate(written, i) for i in range(12)]
    np.testing.assert_allclose(rates, [schedule(i) for i in range(12)], rtol=1e-12)
