"""Tests for runtime.providers: device resolution, the CUDA probe and the tuning defaults."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from kgraph.runtime import providers
from kgraph.runtime.providers import (
    default_session_options,
    provider_options,
    resolve_providers,
)


def test_cpu():
    assert resolve_providers("cpu") == ["CPUExecutionProvider"]


def test_bad_device_names_the_value():
    with pytest.raises(
        ValueError, match=r"device must be 'auto', 'cpu' or 'cuda'. Received: device='tpu'"
    ):
        resolve_providers("tpu")


@pytest.fixture
def cpu_only_build(monkeypatch):
    """Makes onnxruntime look like a CPU-only build, with a fresh probe."""
    monkeypatch.setattr(providers.ort, "get_available_providers", lambda: [providers.CPU])
    monkeypatch.setattr(providers, "_probe_result", None)
    monkeypatch.setattr(providers, "_warned_fallback", False)


def test_cuda_raises_one_line_on_cpu_build(cpu_only_build):
    with pytest.raises(RuntimeError) as info:
        resolve_providers("cuda")
    message = str(info.value)
    assert "\n" not in message
    assert "CUDAExecutionProvider" in message and "onnxruntime-gpu" in message


def test_auto_is_cpu_and_silent_on_cpu_build(cpu_only_build, capfd):
    assert resolve_providers("auto") == ["CPUExecutionProvider"]
    assert resolve_providers() == ["CPUExecutionProvider"]
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_probe_model_is_a_valid_onnx_model():
    data = providers._probe_model_bytes()
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model, full_check=True)
    assert model.ir_version == 8 and model.opset_import[0].version == 13
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"x": np.array([3.5], np.float32)})
    np.testing.assert_array_equal(y, [3.5])


def test_listed_but_broken_cuda_warns_once(monkeypatch, caplog):
    def broken_session(*args, **kwargs):
        raise RuntimeError("CUDA failure 100: no CUDA-capable device is detected\nmore detail")

    monkeypatch.setattr(
        providers.ort, "get_available_providers", lambda: [providers.CUDA, providers.CPU]
    )
    monkeypatch.setattr(providers.ort, "InferenceSession", broken_session)
    monkeypatch.setattr(providers, "_probe_result", None)
    monkeypatch.setattr(providers, "_warned_fallback", False)
    assert resolve_providers("auto") == ["CPUExecutionProvider"]
    assert resolve_providers("auto") == ["CPUExecutionProvider"]
    lines = [r.getMessage() for r in caplog.records if r.name == "kgraph.runtime"]
    assert lines == [
        "kgraph: CUDA not available (CUDAExecutionProvider failed to initialise: CUDA failure "
        "100: no CUDA-capable device is detected); running on CPU."
    ]
    with pytest.raises(RuntimeError, match="failed to initialise: CUDA failure 100"):
        resolve_providers("cuda")


def test_default_session_options(monkeypatch):
    monkeypatch.delenv("KGRAPH_NUM_THREADS", raising=False)
    options = default_session_options("cpu")
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert options.inter_op_num_threads == 1
    assert 1 <= options.intra_op_num_threads <= (__import__("os").cpu_count() or 1)
    assert options.log_severity_level == 4  # a failed run raises RunError; no log lines
    assert options.enable_cpu_mem_arena and not options.enable_mem_pattern  # peak RSS
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    monkeypatch.setenv("KGRAPH_NUM_THREADS", "3")
    assert default_session_options().intra_op_num_threads == 3
    for bad in ("many", "0", "100000", "-2"):
        monkeypatch.setenv("KGRAPH_NUM_THREADS", bad)
        with pytest.raises(ValueError, match="KGRAPH_NUM_THREADS must be an integer from 1"):
            default_session_options()


def test_provider_options():
    cpu_only = provider_options(["CPUExecutionProvider"])
    assert cpu_only == [{}]
    cuda, cpu = provider_options(["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert cuda["cudnn_conv_algo_search"] == "HEURISTIC"
    assert cuda["arena_extend_strategy"] == "kNextPowerOfTwo"
    assert cuda["do_copy_in_default_stream"] is True
    assert cpu == {}


SHARED_ARENA_SCRIPT = """
import sys
import os
import subprocess
import sys

import numpy as np
from onnx import TensorProto, helper
import onnxruntime as ort
from kgraph.runtime.providers import default_session_options

def rss_mib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmRSS"))

n = 16 << 20  # a 64 MiB float32 intermediate
nodes = [helper.make_node("Mul", ["x", "x"], ["t"]), helper.make_node("ReduceSum", ["t"], ["y"])]
x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])
y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
model = helper.make_model(
    helper.make_graph(nodes, "g", [x_info], [y_info]),
    opset_imports=[helper.make_opsetid("", 17)], ir_version=9,
)
x = np.ones(n, np.float32)
sessions = []
for _ in range(3):
    options = default_session_options("cpu")
    if sys.argv[1] == "own":
        options.add_session_config_entry("session.use_env_allocators", "0")
    sessions.append(ort.InferenceSession(model.SerializeToString(), options))
    assert sessions[-1].run(None, {"x": x})[0] == n
    if len(sessions) == 1:
        start = rss_mib()
for session in sessions:
    session.run(None, {"x": x})
print(rss_mib() - start)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmRSS from /proc")
def test_sessions_share_one_cpu_arena():
    """Three sessions with a 64 MiB intermediate each: with kgraph's options they draw on one
    arena (the growth stays near one intermediate), where per-session arenas take each their
    own (and grow on reruns)."""
    growth = {}
    for mode in ("shared", "own"):
        done = subprocess.run(
            [sys.executable, "-c", SHARED_ARENA_SCRIPT, mode],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        growth[mode] = float(done.stdout.split()[-1])
    assert growth["shared"] < 100 < growth["own"], growth
    assert providers.shared_cpu_arena()
