"""kgraph builds, exports, predicts and trains with no deep-learning framework importable.

A subprocess installs a ``sys.meta_path`` finder that refuses TensorFlow, PyTorch, JAX and
Keras, then runs the seed example end to end with ``import kgraph as keras``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("tensorflow", "torch", "jax", "jaxlib", "keras")

SCRIPT = textwrap.dedent(
    """
    import sys

    BLOCKED = set(sys.argv[1].split(","))
    attempts = []

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                attempts.append(name)
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    for name in list(sys.modules):
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]

    for name in BLOCKED:  # the blocker works
        try:
            __import__(name)
        except ImportError:
            pass
        else:
            raise AssertionError(f"{name} was importable")

    import numpy as np
    import onnx

    import kgraph as keras
    from kgraph import layers

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    data = model.to_onnx_bytes()
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)

    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (64, 10), probs.shape
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)

    model.compile("adam", "sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    loss = history.history["loss"]
    assert len(loss) == 1 and np.isfinite(loss[0]), loss
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert model.predict(x[:3], verbose=0).shape == (3, 10)

    loaded = sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    print("no-framework run ok; blocked attempts:", sorted(set(attempts)))
    """
)


def test_kgraph_runs_without_any_framework():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(BLOCKED)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no-framework run ok" in result.stdout
