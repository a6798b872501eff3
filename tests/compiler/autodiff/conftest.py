"""Loads ``tests/harness_vjp.py`` as the module ``harness_vjp`` for the autodiff tests.

It is loaded from its path rather than by putting ``tests/`` on ``sys.path``, where the
``tests/compiler`` folder would shadow the ``compiler`` package.
"""

import importlib.util
import sys
from pathlib import Path

import kgraph.compiler  # noqa: F401  (the real package, imported before the harness)

if "harness_vjp" not in sys.modules:
    _path = Path(__file__).resolve().parents[2] / "harness_vjp.py"
    _spec = importlib.util.spec_from_file_location("harness_vjp", _path)
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["harness_vjp"] = _module
    _spec.loader.exec_module(_module)
