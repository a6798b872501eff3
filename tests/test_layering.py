"""The design card's import rules, checked on the source: ``onnx`` (protobuf) is imported only by
``compiler/serde.py``; ``compiler`` never imports ``kgraph`` or ``runtime``; ``runtime`` imports
none of kgraph, compiler, onnx, onnx_ir, onnxscript (the import-time proof lives in
``tests/runtime/test_import_isolation.py``).

Installed, the folders are ``kgraph.compiler``, ``kgraph.runtime`` and ``kgraph.cli``; the walk maps
those import names back to the design card's parts before applying the rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [
        ROOT / "cli.py",
        *(
            p
            for pkg in ("kgraph", "compiler", "runtime")
            for p in (ROOT / pkg).rglob("*.py")
            if not p.is_symlink()  # kgraph/cli.py is cli.py, installed as kgraph.cli
        ),
    ]
)


PARTS = ("compiler", "runtime", "cli")


def part_of(module: str) -> str:
    """The design card's part for an import name: ``kgraph.compiler.x`` -> ``compiler``."""
    names = module.split(".")
    if names[0] == "kgraph" and len(names) > 1 and names[1] in PARTS:
        return names[1]
    return names[0]


def imported_packages(path: Path) -> set[str]:
    """Parts (or top-level packages) of every import in ``path``, lazy ones inside functions too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(part_of(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "kgraph":
                found.update(part_of(f"kgraph.{alias.name}") for alias in node.names)
            else:
                found.add(part_of(node.module))
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


def test_installed_names_map_to_the_parts() -> None:
    assert part_of("kgraph.compiler.builder") == "compiler"
    assert part_of("kgraph.runtime") == "runtime"
    assert part_of("kgraph.layers") == "kgraph"
    assert imported_packages(ROOT / "kgraph" / "__main__.py") == {"cli"}
