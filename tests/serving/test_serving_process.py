"""``kgraph serve`` as a real uvicorn process on 127.0.0.1 (an ephemeral port): bounded requests,
good and bad, then SIGTERM; plus the one-line failures before the port opens."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "runtime"))
import runtime_models as models  # noqa: E402

W = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
B = np.ones(3, np.float32)


def kgraph(*args, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, KGRAPH_NUM_THREADS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "kgraph", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


def first_line(proc: subprocess.Popen, seconds: float = 60) -> str:
    """The server's first stdout line, or '' if it did not come in time."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return found[0] if found else ""


def call(port: int, method: str, path: str, body: bytes | None = None, kind="application/json"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": kind})
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        connection.close()


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "dense.onnx"
    path.write_bytes(models.dense_model(W, B))
    return path


def test_a_real_server_answers_refuses_and_stops(model_file: Path):
    proc = kgraph("serve", model_file, "--port", "0", "--device", "cpu", "--max-batch", "8")
    try:
        line = first_line(proc)
        assert line.startswith("kgraph: serving "), (line, proc.poll())
        port = int(line.rsplit(":", 1)[1])
        assert call(port, "GET", "/healthz") == (200, {"status": "ok", "model": "dense.onnx"})
        results: dict[int, tuple] = {}

        def client(k: int) -> None:
            x = np.full((k % 3 + 1, 4), k, np.float32)
            results[k] = (
                x,
                call(port, "POST", "/v1/predict", json.dumps({"inputs": x.tolist()}).encode()),
            )

        threads = [threading.Thread(target=client, args=(k,)) for k in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for x, (status, body) in results.values():
            assert status == 200, body
            np.testing.assert_allclose(body["predictions"], x @ W + B, rtol=1e-5)
        status, body = call(port, "POST", "/v1/predict", b'{"inputs": [[1, 2]]}')
        assert status == 422 and "expects shape (batch, 4) float32" in body["error"]["message"]
        status, body = call(port, "POST", "/v1/predict", b"\x89PNG", "image/png")
        assert status == 415 and "not an image" in body["error"]["message"]
        assert call(port, "GET", "/nowhere")[0] == 404
        status, body = call(port, "POST", "/v1/predict", b'{"instance": [1, 1, 1, 1]}')
        assert status == 200 and len(body["predictions"]) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, 143), err
    assert "Traceback" not in err


def test_failures_before_the_port_opens_are_one_line(model_file: Path, tmp_path: Path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not onnx")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        cases = [
            ((junk,), "junk.onnx: not a loadable ONNX model"),
            ((tmp_path / "none.onnx",), "none.onnx: no such file"),
            ((model_file, "--port", taken.getsockname()[1]), "cannot listen on 127.0.0.1:"),
            ((model_file, "--max-batch", "0"), "Invalid value for '--max-batch'"),
        ]
        for args, message in cases:
            proc = kgraph("serve", *args, "--device", "cpu")
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 2, err
            assert err.count("\n") == 1 and message in err, err
    finally:
        taken.close()


def test_several_worker_processes_serve_the_same_model(model_file: Path):
    proc = kgraph("serve", model_file, "--port", "0", "--device", "cpu", "--workers", "2")
    try:
        line = first_line(proc)
        assert line.startswith("kgraph: serving "), (line, proc.poll())
        port = int(line.rsplit(":", 1)[1])
        x = np.eye(4, dtype=np.float32)
        status, body = None, None
        for _ in range(200):  # the workers start after the parent printed the address
            try:
                payload = json.dumps({"inputs": x.tolist()}).encode()
                status, body = call(port, "POST", "/v1/predict", payload)
                break
            except (ConnectionError, http.client.HTTPException):
                threading.Event().wait(0.1)
        assert status == 200, body
        np.testing.assert_allclose(body["predictions"], x @ W + B, rtol=1e-6)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 143) and "Traceback" not in err, err
