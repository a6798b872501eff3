"""kgraph: Keras-style models compiled to ONNX, trained and run with ONNX Runtime.

``import kgraph as keras`` gives the Keras 3 names: ``Input``, ``Sequential``, ``Model``,
``layers``, ``ops``, ``activations``, ``initializers``, ``regularizers``, ``constraints``,
``utils``.

The names load on first use (PEP 562), so that a service importing only ``kgraph.runtime``
(onnxruntime and numpy) does not pay for, or need, the front end and the compiler.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from kgraph.version import __version__ as __version__

SUBMODULES = (
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distillation",
    "distribution",
    "dtype_policies",
    "export",
    "initializers",
    "layers",
    "legacy",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "optimizers",
    "preprocessing",
    "quantizers",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "visualization",
    "wrappers",
)

# public name -> the module that defines it
NAMES = {
    "DTypePolicy": "kgraph.dtype_policies",
    "FloatDTypePolicy": "kgraph.dtype_policies",
    "Function": "kgraph.function",
    "Functional": "kgraph.models.functional",
    "Initializer": "kgraph.initializers",
    "Input": "kgraph.layers",
    "InputSpec": "kgraph.layers",
    "KerasTensor": "kgraph.tensor",
    "Layer": "kgraph.layers",
    "Loss": "kgraph.losses",
    "Metric": "kgraph.metrics",
    "Model": "kgraph.models.model",
    "Operation": "kgraph.operation",
    "Optimizer": "kgraph.optimizers",
    "Quantizer": "kgraph.quantizers",
    "Regularizer": "kgraph.regularizers",
    "RematScope": "kgraph.scopes",
    "Sequential": "kgraph.models.sequential",
    "StatelessScope": "kgraph.scopes",
    "SymbolicScope": "kgraph.scopes",
    "Variable": "kgraph.tensor",
    "device": "kgraph.scopes",
    "name_scope": "kgraph.scopes",
    "remat": "kgraph.scopes",
}

__all__ = sorted([*NAMES, "__version__", *SUBMODULES])


def __getattr__(name: str):
    if name in NAMES:
        value = getattr(importlib.import_module(NAMES[name]), name)
    elif name in SUBMODULES:
        value = importlib.import_module(f"kgraph.{name}")
    else:
        raise AttributeError(f"module 'kgraph' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from kgraph import (  # noqa: F401
        activations,
        applications,
        backend,
        callbacks,
        config,
        constraints,
        datasets,
        distillation,
        distribution,
        dtype_policies,
        export,
        initializers,
        layers,
        legacy,
        losses,
        metrics,
        mixed_precision,
        models,
        ops,
        optimizers,
        preprocessing,
        quantizers,
        random,
        regularizers,
        saving,
        tree,
        utils,
        visualization,
        wrappers,
    )
    from kgraph.dtype_policies import DTypePolicy, FloatDTypePolicy  # noqa: F401
    from kgraph.function import Function  # noqa: F401
    from kgraph.layers import Input, InputSpec, Layer  # noqa: F401
    from kgraph.models.functional import Functional  # noqa: F401
    from kgraph.models.model import Model  # noqa: F401
    from kgraph.models.sequential import Sequential  # noqa: F401
    from kgraph.operation import Operation  # noqa: F401
    from kgraph.scopes import (  # noqa: F401
        RematScope,
        StatelessScope,
        SymbolicScope,
        device,
        name_scope,
        remat,
    )
    from kgraph.tensor import KerasTensor, Variable  # noqa: F401
