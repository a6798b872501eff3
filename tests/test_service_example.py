"""examples/service.py runs with kgraph's compiler and front end unimportable: a subprocess
refuses onnx, onnx_ir, onnxscript and every kgraph module but ``kgraph.runtime`` (and the
version), runs the example on an ephemeral port, and the test sends it bounded requests, checks
them against numpy and stops it with SIGTERM."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))
import runtime_models as models

ROOT = Path(__file__).resolve().parents[1]

WRAPPER = textwrap.dedent(
    """
    import runpy, sys

    def blocked(name):
        parts = name.split(".")
        if parts[0] in ("onnx", "onnx_ir", "onnxscript", "compiler", "tensorflow", "torch"):
            return True
        return parts[0] == "kgraph" and len(parts) > 1 and parts[1] not in ("runtime", "version")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if blocked(name):
                raise ImportError(f"blocked import of {name}")

    sys.meta_path.insert(0, Blocker())
    example, *sys.argv[1:] = sys.argv[1:]
    sys.argv[0] = example
    runpy.run_path(example, run_name="__main__")
    loaded = sorted(n for n in sys.modules if blocked(n))
    assert not loaded, loaded
    print("stopped cleanly without the compiler", flush=True)
    """
)


def post(port: int, payload: bytes, path: str = "/predict") -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("POST", path, body=payload)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_the_service_example_embeds_only_the_runtime(tmp_path: Path) -> None:
    w = np.arange(8, dtype=np.float32).reshape(4, 2) / 8
    b = np.array([0.5, -0.5], np.float32)
    proto = onnx.load_from_string(models.dense_model(w, b))
    proto.metadata_props.add(key="class_names", value='["no", "yes"]')
    model = tmp_path / "dense.onnx"
    model.write_bytes(proto.SerializeToString())
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(ROOT / "examples" / "service.py"), str(model)]
        + ["--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(60)
        assert lines and lines[0].startswith("listening on "), (lines, proc.poll())
        port = int(lines[0].rsplit(":", 1)[1])
        x = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [2, 2, 2, 2]], np.float32)
        status, body = post(port, json.dumps({"inputs": x.tolist()}).encode())
        assert status == 200, body
        expected = x @ w + b
        np.testing.assert_allclose(body["outputs"], expected, rtol=1e-6)
        assert body["classes"] == [["no", "yes"][i] for i in expected.argmax(-1)]
        status, body = post(port, b'{"inputs": [[1, 2, 3]]}')
        assert status == 400 and "expects shape (batch, 4) float32" in body["error"]
        assert post(port, b"{}", "/other")[0] == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped cleanly without the compiler" in out, (out, err)
