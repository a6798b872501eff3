"""Installed, kgraph owns only names under ``kgraph``: the wheel's top level is ``kgraph`` and its
dist-info, the repository folders ``compiler/``, ``runtime/`` and ``cli.py`` ship as
``kgraph.compiler``, ``kgraph.runtime`` and ``kgraph.cli``, and a user's own ``runtime.py`` or
``compiler/`` next to their program does not shadow them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    done = subprocess.run([*cmd, "-w", str(out), str(ROOT)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{done.stderr[-2000:]}")
    (found,) = out.glob("kgraph-*.whl")
    return found


def test_the_wheel_holds_only_kgraph(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"kgraph"}
    for module in ("kgraph/cli.py", "kgraph/compiler/serde.py", "kgraph/runtime/predictor.py"):
        assert module in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "kgraph = kgraph.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_user_modules_named_like_the_folders_do_not_clash(tmp_path: Path) -> None:
    (tmp_path / "runtime.py").write_text("raise ImportError('the user runtime.py was imported')\n")
    (tmp_path / "compiler").mkdir()
    (tmp_path / "compiler" / "__init__.py").write_text("raise ImportError('user compiler')\n")
    (tmp_path / "cli.py").write_text("raise ImportError('the user cli.py was imported')\n")
    program = (
        "import kgraph as keras, numpy as np\n"
        "from kgraph.runtime import Predictor\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        "print(m.predict(np.ones((1, 3), 'float32'), verbose=0).shape)\n"
        "from kgraph.cli import main\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(1, 2)"
