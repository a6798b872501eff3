"""Maps the repository's folders into one installed package, ``kgraph``.

The design card keeps ``compiler/``, ``runtime/`` and ``cli.py`` at the top of the repository;
installed, they are ``kgraph.compiler``, ``kgraph.runtime`` and ``kgraph.cli`` (``kgraph/cli.py`` is
a link to ``cli.py``), so kgraph claims no generic top-level import names. The package list is
computed here because setuptools' automatic discovery does not follow a ``package_dir`` mapping.
Everything else is declared in ``pyproject.toml``.
"""

from setuptools import find_packages, setup

MAPPED = ("compiler", "runtime")

setup(
    packages=[
        *find_packages(include=["kgraph", "kgraph.*"]),
        *(f"kgraph.{name}" for name in find_packages(include=[f"{m}*" for m in MAPPED])),
    ],
    package_dir={f"kgraph.{name}": name for name in MAPPED},
)
