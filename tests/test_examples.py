"""examples/ compile and match numpy; README's two commands; .ci/run; the compile benchmark."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from kgraph.cli_loading import load_model

ROOT = Path(__file__).resolve().parents[1]
COMMAND_1 = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && "
    "kgraph compile examples/mnist_cnn.py -o mnist.onnx"
)
COMMAND_2 = (
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test,oracle]" '
    "&& python -m pytest -q -n 2"
)


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, padding: str) -> np.ndarray:
    """NHWC convolution, stride 1, Keras' kernel layout and 'same' padding, in float64."""
    kh, kw = kernel.shape[:2]
    if padding == "same":
        x = np.pad(x, ((0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), (kh, kw), axis=(1, 2))
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel.astype(np.float64)) + bias


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def run_checked(model, x: np.ndarray) -> np.ndarray:
    data = model.to_onnx_bytes()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name: x})
    return out


def test_mnist_cnn_example() -> None:
    model, symbol = load_model(str(ROOT / "examples" / "mnist_cnn.py"))
    assert symbol == "model"
    kernel, bias, dense_w, dense_b = model.get_weights()
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    hidden = np.maximum(conv2d(x, kernel, bias, "valid"), 0).reshape(len(x), -1)
    expected = softmax(hidden @ dense_w + dense_b)
    np.testing.assert_allclose(run_checked(model, x), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-6)


def test_functional_resnet_block_example() -> None:
    model, symbol = load_model(str(ROOT / "examples" / "functional_resnet_block.py"))
    assert symbol == "build_model"
    weights = {
        name: model.get_layer(name).get_weights()
        for name in ("conv_a", "conv_b", "projection", "classifier")
    }
    x = np.random.default_rng(2).standard_normal((3, 32, 32, 3)).astype(np.float32)
    a = np.maximum(conv2d(x, *weights["conv_a"], "same"), 0)
    main_path = conv2d(a, *weights["conv_b"], "same")
    shortcut = conv2d(x, *weights["projection"], "valid")
    pooled = np.maximum(main_path + shortcut, 0).mean(axis=(1, 2))
    w, b = weights["classifier"]
    expected = softmax(pooled @ w + b)
    np.testing.assert_allclose(run_checked(model, x), expected, rtol=1e-4, atol=1e-6)
    ops = [node.op_type for node in onnx.load_from_string(model.to_onnx_bytes()).graph.node]
    assert ops.count("Conv") == 3 and "Add" in ops  # the skip connection survives compilation


def test_readme_opens_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    assert [b.strip() for b in blocks[:2]] == [COMMAND_1, COMMAND_2]
    before = text[: text.index("```")].strip().splitlines()
    assert len(before) == 1 and before[0].startswith("# ")  # only the title comes first
    between = text[text.index(COMMAND_1) + len(COMMAND_1) : text.index(COMMAND_2)]
    assert between.strip() == "```\n\n```sh"


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    assert script.strip().splitlines()[-1] == COMMAND_2


def test_readme_compile_command_works(tmp_path: Path) -> None:
    out = tmp_path / "mnist.onnx"
    tail = COMMAND_1.split(" && ")[-1].replace("-o mnist.onnx", f"-o {out}").split()
    assert tail[:2] == ["kgraph", "compile"]
    proc = subprocess.run(
        [sys.executable, "-m", "kgraph", *tail[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Wrote {out}" in proc.stdout
    onnx.checker.check_model(onnx.load(out), full_check=True)


@pytest.fixture(scope="module")
def benchmark_module():
    spec = importlib.util.spec_from_file_location(
        "compile_speed", ROOT / "benchmarks" / "compile_speed.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compile_speed_benchmark_model(benchmark_module) -> None:
    model = benchmark_module.build_model()
    assert len(model.layers) >= 50
    onnx.checker.check_model(onnx.load_from_string(model.to_onnx_bytes()), full_check=True)
