"""``kgraph compile --seed/--functions/--optimize/--verify``: reproducible files, layer functions
and optimized graphs that give the flat file's results in onnxruntime, and a verification that
fails (exit 2) when the file and kgraph's own evaluation disagree."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from click.testing import CliRunner

from kgraph import cli, cli_verify

MODEL = """
import kgraph as keras
from kgraph import layers

_block = keras.Sequential(
    [layers.Conv2D(4, 3, padding="same", name="conv2d"), layers.BatchNormalization(name="bn"),
     layers.ReLU(name="relu")],
    name="block_1",
)
inp = keras.Input((6, 6, 3), name="image")
x = _block(inp)
x = layers.Flatten(name="flatten")(x)
x = layers.Dense(8, activation="gelu", name="dense")(x)
x = layers.Dropout(0.5)(x)
x = layers.LayerNormalization(name="norm")(x)
model = keras.Model(inp, layers.Dense(3, activation="softmax", name="probs")(x), name="model")
"""

X = np.random.default_rng(0).uniform(-2, 2, (4, 6, 6, 3)).astype(np.float32)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return path


def _compile(model_file, out, *flags, code=0):
    result = CliRunner().invoke(cli.main, ["compile", str(model_file), "-o", str(out), *flags])
    assert result.exit_code == code, result.output
    return result.output


def _run(path):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"image": X})[0]


def test_seed_makes_the_file_reproducible_byte_for_byte(model_file, tmp_path):
    for name in ("a", "b"):
        _compile(model_file, tmp_path / f"{name}.onnx", "--seed", "7")
    _compile(model_file, tmp_path / "c.onnx")
    a, b, c = ((tmp_path / f"{n}.onnx").read_bytes() for n in "abc")
    assert a == b
    assert a != c  # without a seed, weights are initialised afresh, as in Keras


def test_functions_outline_each_layer_with_identical_results(model_file, tmp_path):
    _compile(model_file, tmp_path / "flat.onnx", "--seed", "1")
    _compile(model_file, tmp_path / "fn.onnx", "--seed", "1", "--functions")
    proto = onnx.load(str(tmp_path / "fn.onnx"))
    functions = {f.name: f for f in proto.functions}
    assert {"block_1", "conv2d", "relu", "flatten", "dense", "norm", "probs"} <= set(functions)
    assert [n.op_type for n in functions["block_1"].node] == ["conv2d", "relu"]  # nested calls
    assert [n.op_type for n in functions["dense"].node] == ["MatMul", "Add", "Gelu"]
    assert all(f.value_info for f in proto.functions)  # each function keeps dtypes and shapes
    top = [n.op_type for n in proto.graph.node]
    assert top[0] == "block_1" and "probs" in top, top
    layer_class = {p.key: p.value for p in proto.graph.node[0].metadata_props}["layer_class"]
    assert layer_class == "Sequential"
    np.testing.assert_array_equal(_run(tmp_path / "fn.onnx"), _run(tmp_path / "flat.onnx"))
    onnx.checker.check_model(proto, full_check=True)


def test_optimize_and_verify_report_each_output(model_file, tmp_path):
    _compile(model_file, tmp_path / "flat.onnx", "--seed", "2")
    output = _compile(model_file, tmp_path / "opt.onnx", "--seed", "2", "--optimize", "--verify")
    line = next(line for line in output.splitlines() if line.startswith("verify probs:"))
    assert "max abs error" in line and "(ok," in line
    ops = {n.op_type for n in onnx.load(str(tmp_path / "opt.onnx")).graph.node}
    assert "Dropout" not in ops and "Identity" not in ops and "Gelu" in ops
    np.testing.assert_allclose(
        _run(tmp_path / "opt.onnx"), _run(tmp_path / "flat.onnx"), rtol=1e-5, atol=1e-6
    )


DRIFTING = """
import numpy as np
import kgraph as keras
from kgraph import layers, ops


class Drift(keras.Layer):
    \"\"\"Adds 1e-3 when run eagerly on arrays, nothing in the traced graph: the exported file
    and kgraph's evaluation disagree by 1e-3.\"\"\"

    def call(self, x):
        return ops.add(x, 1e-3) if isinstance(x, np.ndarray) else x


inp = keras.Input((4,), name="x")
model = keras.Model(inp, Drift(name="drift")(layers.Dense(3, name="dense")(inp)))
"""


def test_verify_fails_beyond_tolerance_and_writes_nothing(tmp_path):
    path, out = tmp_path / "drift.py", tmp_path / "bad.onnx"
    path.write_text(DRIFTING)
    output = _compile(path, out, "--verify", code=2)
    assert "verify drift: max abs error 0.001" in output and "MISMATCH" in output, output
    errors = [line for line in output.splitlines() if line.startswith("kgraph: error:")]
    assert len(errors) == 1 and errors[0].startswith("kgraph: error: --verify: output 'drift'")
    assert not out.exists()
    assert "(ok," in _compile(path, out, "--verify", "--tolerance", "0.01") and out.exists()


def test_verify_errors_are_computed_against_the_reference():
    assert cli_verify.compare(np.array([1.0, -2.0]), np.array([1.5, -2.0])) == (0.5, 0.5)
    assert cli_verify.compare(np.array([np.nan]), np.array([np.nan])) == (0.0, 0.0)
    assert cli_verify.compare(np.array([np.nan]), np.array([1.0]))[0] == np.inf
    assert cli_verify.within([100.0], [100.005], 1e-4)  # 0.005 <= 1e-4 * 101
    assert not cli_verify.within([1.0], [1.0003], 1e-4)  # 3e-4 > 1e-4 * 2
    assert not cli_verify.within([1.0], [np.nan], 1.0)


def test_verify_reports_every_output_of_a_two_input_model(tmp_path):
    path = tmp_path / "two.py"
    path.write_text(
        "import kgraph as keras\n"
        "from kgraph import layers\n"
        "a, b = keras.Input((3,), name='a'), keras.Input((2,), name='b', dtype='int32')\n"
        "e = layers.Flatten()(layers.Embedding(4, 2)(b))\n"
        "s = layers.Concatenate()([layers.Dense(2, activation='mish')(a), e])\n"
        "p, q = layers.Dense(1, name='p')(s), layers.Dense(2, name='q')(s)\n"
        "model = keras.Model([a, b], [p, q])\n"
    )
    output = _compile(path, tmp_path / "two.onnx", "--verify")
    lines = [line for line in output.splitlines() if line.startswith("verify ")]
    assert [line.split(":")[0] for line in lines] == ["verify p", "verify q"], output
    assert all("(ok," in line for line in lines)


def test_training_export_refuses_the_inference_only_flags(model_file, tmp_path):
    output = _compile(model_file, tmp_path / "art", "--training", "--functions", code=2)
    assert "apply to the ONNX file" in output
