"""runtime/ (installed as ``kgraph.runtime``) must import and run with the standard library, numpy
and onnxruntime alone: importing it loads kgraph's package ``__init__`` (which is lazy) and nothing
else of kgraph."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import runtime_models as models

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys

    BLOCKED = {"onnx", "onnx_ir", "onnxscript", "compiler"}

    def blocked(name):
        if name.split(".")[0] in BLOCKED:
            return True
        parts = name.split(".")
        return parts[0] == "kgraph" and len(parts) > 1 and parts[1] not in ("runtime", "version")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if blocked(name):
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    for name in list(sys.modules):
        if blocked(name) or name.split(".")[0] == "kgraph":
            del sys.modules[name]

    import numpy as np
    from kgraph import runtime

    data = open(sys.argv[1], "rb").read()
    session = runtime.Session(data, device="cpu")
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    (y,) = session.run({"x": x})
    np.save(sys.argv[2], y)
    runtime.Predictor(session).predict(x, batch_size=1)
    loaded = sorted(n for n in sys.modules if blocked(n))
    assert not loaded, loaded
    print("isolated import ok")
    """
)


def test_runtime_imports_without_onnx_or_kgraph(tmp_path):
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    b = np.ones(3, np.float32)
    model = tmp_path / "dense.onnx"
    model.write_bytes(models.dense_model(w, b))
    out = tmp_path / "y.npy"
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(model), str(out)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "isolated import ok" in result.stdout
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(np.load(out), x @ w + b, rtol=1e-6)


def test_runtime_sources_import_only_allowed_modules():
    allowed = {"numpy", "onnxruntime", "kgraph.runtime", "__future__"} | set(
        sys.stdlib_module_names
    )
    for path in sorted((ROOT / "runtime").glob("*.py")):
        for line in path.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from") and not line.startswith(" "):
                name = words[1]
                top = ".".join(name.split(".")[:2]) if name.startswith("kgraph.") else name
                assert top.split(".")[0] in allowed or top in allowed, f"{path.name}: {line}"
