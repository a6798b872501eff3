"""How much of Keras 3's public API kgraph implements, per module (names only).

    KERAS_BACKEND=jax python benchmarks/api_coverage.py [--missing]

For each Keras module it lists the public names (no leading underscore, submodules left out)
and counts those that the kgraph module of the same path also has. It checks names, not
behaviour: the tests check behaviour. ``keras.ops`` counts the flat namespace (which includes
the nn, image and linalg functions) and each of those submodules is listed on its own as well.
The backend-specific wrappers (TFSMLayer, TorchModuleWrapper, JaxLayer, FlaxLayer) are
excluded: they wrap another framework's model and have no meaning without it.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

MODULES = [
    "ops",
    "ops.numpy",
    "ops.nn",
    "ops.image",
    "ops.linalg",
    "losses",
    "metrics",
    "optimizers",
    "optimizers.schedules",
    "random",
    "activations",
    "initializers",
    "layers",
    "callbacks",
    "utils",
    "applications",
    "saving",
    "config",
    "tree",
    "dtype_policies",
    "mixed_precision",
    "quantizers",
    "preprocessing",
    "wrappers",
    "export",
    "distillation",
    "visualization",
    "distribution",
]
EXCLUDED = {"TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}


def public_names(module) -> set[str]:
    """Public, non-module attributes of ``module``."""
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and not inspect.ismodule(getattr(module, name))
        and name not in EXCLUDED
    }


def _kgraph_names(path: str) -> set[str]:
    try:
        module = importlib.import_module(f"kgraph.{path}")
    except ImportError:
        parent, _, name = f"kgraph.{path}".rpartition(".")
        try:  # a namespace object rather than a module (kgraph.optimizers.schedules)
            module = getattr(importlib.import_module(parent), name)
        except (ImportError, AttributeError):
            return set()
    names = {name for name in dir(module) if not name.startswith("_")}
    if hasattr(module, "__getattr__"):  # a module that forwards names lazily (kgraph.ops.numpy)
        names |= {name for name in keras_names_of(path) if hasattr(module, name)}
    return names


def keras_names_of(path: str) -> set[str]:
    """The public names of ``keras.<path>``."""
    return public_names(importlib.import_module(f"keras.{path}"))


def coverage() -> list[tuple[str, int, int, list[str]]]:
    """``(module, implemented, total, missing names)`` for each module in :data:`MODULES`."""
    rows = []
    for path in MODULES:
        keras_names = public_names(importlib.import_module(f"keras.{path}"))
        have = keras_names & _kgraph_names(path)
        rows.append((path, len(have), len(keras_names), sorted(keras_names - have)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list the missing names too")
    args = parser.parse_args()
    import keras

    rows = coverage()
    print(f"Keras {keras.__version__} public names implemented by kgraph (names only)\n")
    print("| module | kgraph | Keras | % |")
    print("|---|---:|---:|---:|")
    for path, have, total, _ in rows:
        print(f"| keras.{path} | {have} | {total} | {100 * have / max(total, 1):.0f} |")
    if args.missing:
        for path, _, _, missing in rows:
            print(f"\nkeras.{path} missing ({len(missing)}): {' '.join(missing)}")


if __name__ == "__main__":
    main()
