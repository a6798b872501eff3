"""The command line under hostile input, as real processes: a bare ``kgraph``, empty or
write-protected outputs, bad ``KGRAPH_NUM_THREADS``, runs onnxruntime rejects, MODEL.py files
that exit or change directory, SIGTERM and Ctrl-C, and a killed writer's temporary file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

DENSE = """
import kgraph as keras
from kgraph import layers
model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
"""
DYNAMIC_CONV = """
import kgraph as keras
from kgraph import layers
model = keras.Sequential(
    [keras.Input(shape=(None, None, 3)), layers.Conv2D(2, 3), layers.GlobalAveragePooling2D()]
)
"""


def kgraph(*args, cwd, env=None):
    proc = subprocess.run(
        [sys.executable, "-m", "kgraph", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    return proc.returncode, proc.stdout, proc.stderr


def one_error_line(stderr: str, text: str) -> None:
    assert stderr.count("\n") == 1 and stderr.startswith("kgraph: error: "), stderr
    assert text in stderr, stderr


def test_bare_kgraph_prints_the_help(tmp_path):
    code, out, err = kgraph(cwd=tmp_path)
    assert code == 0 and err == ""
    assert out.startswith("Usage: kgraph") and "\nCommands:\n" in out


def test_empty_and_write_protected_outputs_fail_before_compiling(tmp_path):
    (tmp_path / "m.py").write_text(DENSE)
    code, out, err = kgraph("compile", "m.py", "-o", "", cwd=tmp_path)
    assert code == 2 and out == ""
    one_error_line(err, "-o/--output is empty")
    protected = tmp_path / "old.onnx"
    protected.write_bytes(b"keep me")
    protected.chmod(0o444)
    code, out, err = kgraph("compile", "m.py", "-o", protected, cwd=tmp_path)
    assert code == 2 and out == "" and protected.read_bytes() == b"keep me"
    one_error_line(err, "write-protected")


@pytest.fixture(scope="module")
def dynamic_conv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dyn")
    (folder / "dyn.py").write_text(DYNAMIC_CONV)
    assert kgraph("compile", "dyn.py", "-o", "dyn.onnx", cwd=folder)[0] == 0
    np.save(folder / "tiny.npy", np.zeros((2, 1, 1, 3), np.float32))
    np.save(folder / "fine.npy", np.zeros((2, 6, 6, 3), np.float32))
    return folder


@pytest.mark.parametrize("threads", ["abc", "0", "100000"])
def test_bad_thread_counts_are_named(dynamic_conv, threads):
    env = {"KGRAPH_NUM_THREADS": threads}
    code, _, err = kgraph(
        "predict", "dyn.onnx", "fine.npy", "-o", "p.npy", cwd=dynamic_conv, env=env
    )
    assert code == 2
    one_error_line(
        err, f"KGRAPH_NUM_THREADS must be an integer from 1 to 1024. Received: '{threads}'"
    )


def test_a_run_onnxruntime_rejects_is_one_line_and_exit_2(dynamic_conv):
    code, out, err = kgraph("predict", "dyn.onnx", "tiny.npy", "-o", "p.npy", cwd=dynamic_conv)
    assert code == 2 and out == ""
    one_error_line(err, "tiny.npy: onnxruntime could not run the model on input_layer")
    assert "\x1b[" not in err and not (dynamic_conv / "p.npy").exists()


def test_a_model_file_that_exits_is_reported(tmp_path):
    (tmp_path / "m.py").write_text(DENSE + "import os\nos._exit(0)\n")
    code, _, err = kgraph("compile", "m.py", "-o", "m.onnx", cwd=tmp_path)
    assert code == 2 and not (tmp_path / "m.onnx").exists()
    one_error_line(err, "m.py ended the process (exit code 0) before the model was compiled")


def test_a_model_file_that_changes_directory_does_not_move_the_output(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "m.py").write_text(DENSE + "import os\nos.chdir('elsewhere')\n")
    code, out, _ = kgraph("compile", "m.py", "-o", "m.onnx", cwd=tmp_path)
    assert code == 0 and "Total params" in out and "Wrote m.onnx" in out
    assert (tmp_path / "m.onnx").is_file() and not os.listdir(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    "sig, code, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_signals_end_with_one_line_and_no_file(tmp_path, sig, code, word):
    started = tmp_path / "started"
    (tmp_path / "m.py").write_text(
        f"import time\nopen({str(started)!r}, 'w').close()\ntime.sleep(60)\n" + DENSE
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgraph", "compile", "m.py", "-o", "m.onnx"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline:  # inside the model file
        time.sleep(0.1)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    one_error_line(err, word)
    assert sorted(os.listdir(tmp_path)) == ["m.py", "started"]


def test_a_killed_writers_temporary_is_removed_by_the_next_run(tmp_path):
    (tmp_path / "m.py").write_text(DENSE)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = Path(tmp_path / f".kgraph-{dead}-abc.tmp")
    stale.write_bytes(b"half a model")
    assert kgraph("compile", "m.py", "-o", "m.onnx", cwd=tmp_path)[0] == 0
    assert sorted(os.listdir(tmp_path)) == ["m.onnx", "m.py"]


def test_files_that_are_not_regular_are_refused(tmp_path):
    (tmp_path / "m.py").write_text(DENSE)
    code, _, err = kgraph("inspect", "/dev/zero", cwd=tmp_path)
    assert code == 2
    one_error_line(err, "/dev/zero: not a regular file (a pipe or a device)")
    fifo = tmp_path / "model_pipe.py"
    os.mkfifo(fifo)
    code, _, err = kgraph("compile", fifo, "-o", "m.onnx", cwd=tmp_path)
    assert code == 2
    one_error_line(err, "not a regular file")


def test_a_forged_npy_header_is_refused_before_allocating(tmp_path, dynamic_conv):
    forged = tmp_path / "huge.npy"
    with open(forged, "wb") as file:
        header = {"descr": "<f4", "fortran_order": False, "shape": (10**9, 6, 6, 3)}
        np.lib.format.write_array_header_1_0(file, header)
        file.write(b"\0" * 64)
    code, _, err = kgraph("predict", dynamic_conv / "dyn.onnx", forged, "-o", "p.npy", cwd=tmp_path)
    assert code == 2
    one_error_line(err, "declares an array of shape (1000000000, 6, 6, 3) float32")
    assert not (tmp_path / "p.npy").exists()
