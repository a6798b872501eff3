"""The design card's import rules, checked on the source: ``onnx`` (protobuf) is imported only by
``compiler/serde.py``; ``compiler`` never imports ``kgraph`` or ``runtime``; ``runtime`` imports
none of kgraph, compiler, onnx, onnx_ir, onnxscript (the import-time proof lives in
``tests/runtime/test_import_isolation.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [
        ROOT / "cli.py",
        *(p for pkg in ("kgraph", "compiler", "runtime") for p in (ROOT / pkg).rglob("*.py")),
    ]
)


def imported_packages(path: Path) -> set[str]:
    """Top-level package names of every import in ``path``, lazy ones inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layering(path: Path) -> None:
    packages = imported_packages(path)
    where = path.relative_to(ROOT).parts[0]
    if path != ROOT / "compiler" / "serde.py":
        assert "onnx" not in packages, "only compiler/serde.py may import onnx"
    if where == "compiler":
        assert not packages & {"kgraph", "runtime", "cli"}
    if where == "runtime":
        assert not packages & {"kgraph", "compiler", "cli", "onnx", "onnx_ir", "onnxscript"}
    if where == "kgraph" and path.name != "__main__.py":  # `python -m kgraph` runs the CLI
        assert "cli" not in packages


def test_the_walk_sees_lazy_imports() -> None:
    assert imported_packages(ROOT / "compiler" / "serde.py") >= {"onnx", "onnx_ir"}
    assert "kgraph" in imported_packages(ROOT / "cli.py")  # cli imports kgraph inside functions
