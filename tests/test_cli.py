"""The ``kgraph`` command line, through click's CliRunner and through real subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner

from kgraph import cli
from kgraph.cli_loading import load_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SENTINEL = b"previous content, must survive a failed command"

W1 = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3)
B1 = np.array([0.1, -0.2, 0.3], np.float32)
W2 = np.linspace(0.5, -0.5, 6, dtype=np.float32).reshape(3, 2)
B2 = np.array([0.05, -0.05], np.float32)

DENSE_MODEL = """
import numpy as np
import kgraph as keras
from kgraph import layers


def build_model():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu"),
                              layers.Dense(2)])
    model.set_weights([np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3),
                       np.array([0.1, -0.2, 0.3], np.float32),
                       np.linspace(0.5, -0.5, 6, dtype=np.float32).reshape(3, 2),
                       np.array([0.05, -0.05], np.float32)])
    return model
"""

TWO_IO_MODEL = """
import kgraph as keras
from kgraph import layers, ops


class Sum(keras.Layer):
    def call(self, inputs):
        return ops.add(inputs[0], inputs[1])


left, right = keras.Input(shape=(3,), name="left"), keras.Input(shape=(3,), name="right")
total = Sum()([left, right])
heads = [layers.Dense(2, name="head_a")(total), layers.Dense(1, name="head_b")(total)]
model = keras.Model(inputs=[left, right], outputs=heads)
"""

BAD_FILES = {
    "syntax.py": "import kgraph as keras\nmodel = (\n",
    "raises.py": "import kgraph as keras\nfrom kgraph import layers\n\nlayers.Dense(0)\n",
    "empty.py": "x = 1\n",
    "two.py": "import kgraph as keras\nfrom kgraph import layers\n"
    "a = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])\n"
    "b = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])\n",
    "lowering.py": textwrap.dedent("""
        import kgraph as keras
        from kgraph.ops.core import Op, apply

        def _refuse(b, x):
            raise NotImplementedError("op 'warp' has no ONNX lowering")

        _warp = Op("warp", lambda x: x, _refuse)
        _frob = Op("frob", lambda x: x, lambda b, x: b.op("Frobnicate", [x]))

        class Warp(keras.Layer):
            def call(self, x):
                return apply(_warp, [x])

        class Frob(keras.Layer):
            def call(self, x):
                return apply(_frob, [x])

        warp = keras.Sequential([keras.Input(shape=(4,)), Warp(name="warper")])
        frob = keras.Sequential([keras.Input(shape=(4,)), Frob(name="frobber")])
        """),
}


def invoke(*args: str):
    """Runs the CLI in-process; returns (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def run(*args: str, script: bool = False, cwd: Path | None = None):
    """Runs ``python -m kgraph`` (or the ``kgraph`` script) in a subprocess."""
    command = [shutil.which("kgraph")] if script else [sys.executable, "-m", "kgraph"]
    proc = subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "KGRAPH_DEBUG": ""},
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "dense.py").write_text(DENSE_MODEL)
    (tmp_path / "two_io.py").write_text(TWO_IO_MODEL)
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_text(text)
    np.save(tmp_path / "x.npy", np.linspace(-2, 2, 20, dtype=np.float32).reshape(5, 4))
    return tmp_path


def dense_reference(x: np.ndarray) -> np.ndarray:
    return np.maximum(x @ W1 + B1, 0.0) @ W2 + B2


# -- compile / inspect / predict ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mnist_cnn.py", "functional_resnet_block.py"])
def test_compile_and_inspect_examples(tmp_path: Path, name: str) -> None:
    out = tmp_path / "model.onnx"
    code, stdout, stderr = invoke("compile", EXAMPLES / name, "-o", out)
    assert code == 0, stderr
    assert "Model:" in stdout and "Total params" in stdout and f"Wrote {out}" in stdout
    onnx.checker.check_model(onnx.load(out), full_check=True)
    code, stdout, stderr = invoke("inspect", out)
    assert code == 0, stderr
    for word in (
        "inputs:",
        "outputs:",
        "opset:",
        "ai.onnx 21",
        "IR version:",
        "Conv",
        "parameters:",
        "keras_config:",
        "producer:    kgraph",
    ):
        assert word in stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kgraph-")]


def test_mnist_prediction_matches_model_predict(tmp_path: Path) -> None:
    model, symbol = load_model(str(EXAMPLES / "mnist_cnn.py"))
    assert symbol == "model"
    model.export(tmp_path / "mnist.onnx", verbose=False)
    x = np.random.default_rng(0).random((7, 28, 28, 1), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    code, stdout, stderr = run(
        "predict",
        tmp_path / "mnist.onnx",
        tmp_path / "x.npy",
        "-o",
        tmp_path / "pred.npy",
        "--device",
        "cpu",
        "--batch-size",
        "3",
    )
    assert code == 0, stderr
    pred = np.load(tmp_path / "pred.npy")
    assert pred.shape == (7, 10) and "(7, 10)" in stdout
    np.testing.assert_allclose(pred, model.predict(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pred.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("script", [False, True], ids=["python-m", "console-script"])
def test_dense_model_against_numpy_in_subprocess(work: Path, script: bool) -> None:
    if script and shutil.which("kgraph") is None:
        pytest.skip("the kgraph console script is not on PATH")
    code, stdout, stderr = run("compile", "dense.py", "-o", "dense.onnx", script=script, cwd=work)
    assert code == 0, stderr
    assert "Wrote dense.onnx" in stdout and stderr == ""
    code, stdout, stderr = run("inspect", "dense.onnx", script=script, cwd=work)
    assert code == 0 and "parameters:  23 in 4 initializers" in stdout
    assert "MatMul  2" in stdout
    device = ["--device", "cpu"] if script else []  # auto: a CUDA fallback must not write stderr
    code, stdout, stderr = run(
        "predict", "dense.onnx", "x.npy", "-o", "pred.npy", *device, script=script, cwd=work
    )
    assert code == 0 and stderr == "", stderr
    assert "Wrote pred.npy: dense_1 float32 (5, 2) (device " in stdout
    np.testing.assert_allclose(
        np.load(work / "pred.npy"), dense_reference(np.load(work / "x.npy")), rtol=1e-5, atol=1e-5
    )


def test_opset_and_batch_size(work: Path) -> None:
    code, _, stderr = invoke(
        "compile", work / "dense.py", "-o", work / "d.onnx", "--opset", "17", "--batch-size", "5"
    )
    assert code == 0, stderr
    proto = onnx.load(work / "d.onnx")
    assert proto.opset_import[0].version == 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 5
    code, stdout, _ = invoke("inspect", work / "d.onnx")
    assert "ai.onnx 17" in stdout and "[5, 4]" in stdout


def test_several_inputs_and_outputs_use_npz(work: Path) -> None:
    code, _, stderr = invoke("compile", work / "two_io.py", "-o", work / "two.onnx")
    assert code == 0, stderr
    left, right = np.ones((3, 3), np.float32), np.full((3, 3), 2.0, np.float32)
    np.savez(work / "named.npz", left=left, right=right)
    np.savez(work / "positional.npz", left, right)
    for source in ("named.npz", "positional.npz"):
        code, _, stderr = invoke(
            "predict", work / "two.onnx", work / source, "-o", work / "pred.npz", "--device", "cpu"
        )
        assert code == 0, stderr
        with np.load(work / "pred.npz") as pred:
            assert sorted(pred.files) == ["head_a", "head_b"]
            assert pred["head_a"].shape == (3, 2) and pred["head_b"].shape == (3, 1)
    code, _, stderr = invoke(
        "predict", work / "two.onnx", work / "named.npz", "-o", work / "pred.npy"
    )
    assert code == 2 and "has 2 outputs (head_a, head_b)" in stderr and "pred.npz" in stderr
    assert not (work / "pred.npy").exists()


BROKEN_LAYER_MODEL = """
import kgraph as keras
from kgraph import trace


class Broken(keras.Layer):
    def call(self, inputs):
        if trace.current() is not None:  # only while compiling: what a bug in kgraph looks like
            raise KeyError("oops")
        return inputs


model = keras.Sequential([keras.Input(shape=(3,)), Broken()])
"""


def test_internal_errors_are_one_line_unless_debug(work: Path) -> None:
    (work / "broken.py").write_text(BROKEN_LAYER_MODEL)
    code, _, stderr = invoke("compile", work / "broken.py", "-o", work / "d.onnx")
    assert code == 1 and stderr.count("\n") == 1
    assert stderr.startswith("kgraph: internal error: KeyError") and "--debug" in stderr
    result = CliRunner().invoke(
        cli.main, ["--debug", "compile", str(work / "broken.py"), "-o", str(work / "d.onnx")]
    )
    # the model runs in a child process (kgraph.cli_child): --debug prints its traceback
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "KeyError: 'oops'" in result.stderr
    assert not (work / "d.onnx").exists()


# -- bad input: exit code 2, one line on stderr, no partial or clobbered output -------------------
def _bad_cases(work: Path) -> list[tuple[list, Path, str]]:
    onnx_out, npy_out = work / "out.onnx", work / "pred.npy"
    invoke("compile", work / "dense.py", "-o", work / "dense.onnx")
    (work / "not_onnx.onnx").write_text("hello, I am not a model\n")
    (work / "junk.npy").write_text("junk")
    np.save(work / "wrong_shape.npy", np.ones((2, 3), np.float32))
    np.save(work / "wrong_dtype.npy", np.array([["a", "b", "c", "d"]]))
    compile_ = ["compile"]
    predict = ["predict", work / "dense.onnx"]
    return [
        (compile_ + [work / "missing.py", "-o", onnx_out], onnx_out, "missing.py: no such file"),
        (compile_ + [work / "syntax.py", "-o", onnx_out], onnx_out, "syntax.py:2: SyntaxError:"),
        (
            compile_ + [work / "raises.py", "-o", onnx_out],
            onnx_out,
            "raises.py:4: ValueError: Received an invalid value for `units`",
        ),
        (compile_ + [work / "empty.py", "-o", onnx_out], onnx_out, "build_model()"),
        (compile_ + [work / "two.py", "-o", onnx_out], onnx_out, "several models found (a, b)"),
        (compile_ + [work / "two.py", "-o", onnx_out, "--model", "c"], onnx_out, "no top-level"),
        (
            compile_ + [work / "two.py", "-o", onnx_out, "--model", "keras"],
            onnx_out,
            "'keras' is a module, not a kgraph Model",
        ),
        (
            compile_ + [work / "lowering.py", "-o", onnx_out, "--model", "warp"],
            onnx_out,
            "layer 'warper' (Warp) has no ONNX lowering: op 'warp'",
        ),
        (
            compile_ + [work / "lowering.py", "-o", onnx_out, "--model", "frob"],
            onnx_out,
            "layer 'frobber' lowers to ONNX op 'Frobnicate'",
        ),
        (
            compile_ + [work / "dense.py", "-o", onnx_out, "--opset", "16"],
            onnx_out,
            "'--opset': 16 is not in the range 17<=x<=23",
        ),
        (compile_ + [work / "dense.py", "-o", work / "no_dir" / "m.onnx"], None, "directory"),
        (compile_ + [work / "dense.py", "-o", work], None, "is a directory"),
        (["inspect", work / "not_onnx.onnx"], None, "not_onnx.onnx: not an ONNX model"),
        (["inspect", work / "missing.onnx"], None, "missing.onnx: no such file"),
        (
            ["predict", work / "not_onnx.onnx", work / "x.npy", "-o", npy_out],
            npy_out,
            "not_onnx.onnx: not a loadable ONNX model",
        ),
        (predict + [work / "junk.npy", "-o", npy_out], npy_out, "not a .npy or .npz file"),
        (predict + [work / "missing.npy", "-o", npy_out], npy_out, "missing.npy: no such file"),
        (
            predict + [work / "wrong_shape.npy", "-o", npy_out],
            npy_out,
            "expects shape (batch, 4) float32; received (2, 3) float32",
        ),
        (
            predict + [work / "wrong_dtype.npy", "-o", npy_out],
            npy_out,
            "expects shape (batch, 4) float32; received (1, 4) <U1",
        ),
        (predict + [work / "x.npy", "-o", npy_out, "--device", "gpu"], npy_out, "'--device'"),
        (compile_ + [work / "dense.py"], None, "Missing option '-o'"),
        (
            compile_ + [work / "dense.py", "-o", work / "dense.py"],
            None,
            "it is the input file",
        ),
        (predict + [work / "x.npy", "-o", work / "x.npy"], None, "it is the input file"),
        (["frobnicate"], None, "No such command 'frobnicate'"),
    ]


def _assert_one_line_error(code: int, stderr: str, expected: str) -> None:
    assert code == 2, stderr
    assert stderr.startswith("kgraph: error: ") and stderr.count("\n") == 1, stderr
    assert "Traceback" not in stderr and expected in stderr, stderr


def test_bad_input_in_process(work: Path) -> None:
    for args, out, expected in _bad_cases(work):
        if out is not None and out.exists():
            out.unlink()
        code, _, stderr = invoke(*args)
        _assert_one_line_error(code, stderr, expected)
        if out is not None:
            assert not out.exists(), args
            out.write_bytes(SENTINEL)
            code, _, stderr = invoke(*args)
            _assert_one_line_error(code, stderr, expected)
            assert out.read_bytes() == SENTINEL, args
    assert not [p for p in work.iterdir() if p.name.startswith(".kgraph-")]


def test_bad_input_in_subprocess(work: Path) -> None:
    chosen = ("SyntaxError", "ValueError", "received (2, 3)", "no ONNX lowering")
    cases = [case for case in _bad_cases(work) if any(word in case[2] for word in chosen)]
    assert len(cases) == len(chosen)
    for args, out, expected in cases:
        code, _, stderr = run(*args)
        _assert_one_line_error(code, stderr, expected)
        assert out is None or not out.exists()


def test_unwritable_output(work: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/sys/kgraph-test.onnx")  # root may write anywhere else
    else:
        locked = work / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "m.onnx"
    code, _, stderr = invoke("compile", work / "dense.py", "-o", target)
    _assert_one_line_error(code, stderr, "cannot write")
    assert not target.exists()


def test_output_is_never_an_input_file(work: Path) -> None:
    source = (work / "dense.py").read_bytes()
    invoke("compile", work / "dense.py", "-o", work / "dense.py")
    assert (work / "dense.py").read_bytes() == source


def test_symlinked_output_is_written_through(work: Path) -> None:
    (work / "real.onnx").write_bytes(SENTINEL)
    (work / "link.onnx").symlink_to(work / "real.onnx")
    code, _, stderr = invoke("compile", work / "dense.py", "-o", work / "link.onnx")
    assert code == 0, stderr
    assert (work / "link.onnx").is_symlink()
    assert len(onnx.load(work / "real.onnx").graph.initializer) == 4  # the model, not SENTINEL


def test_special_file_output_is_written_in_place() -> None:
    code, stdout, stderr = invoke("compile", EXAMPLES / "mnist_cnn.py", "-o", "/dev/null")
    assert code == 0 and "Wrote /dev/null" in stdout, stderr
    assert Path("/dev/null").is_char_device()


def test_a_model_that_fails_to_compile_prints_no_summary(work: Path) -> None:
    code, stdout, stderr = invoke(
        "compile", work / "lowering.py", "--model", "warp", "-o", work / "m.onnx"
    )
    _assert_one_line_error(code, stderr, "no ONNX lowering")
    assert stdout == ""


def test_an_instance_built_by_build_model_is_the_one_model(work: Path) -> None:
    (work / "both.py").write_text(DENSE_MODEL + "\nmodel = build_model()\n")
    model, symbol = load_model(str(work / "both.py"))
    assert symbol == "model"
    np.testing.assert_allclose(
        model.predict(np.load(work / "x.npy"), verbose=0),
        dense_reference(np.load(work / "x.npy")),
        rtol=1e-5,
        atol=1e-6,
    )
