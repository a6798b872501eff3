"""kgraph: Keras-style models compiled to ONNX, trained and run with ONNX Runtime.

``import kgraph as keras`` gives the Keras 3 names: ``Input``, ``Sequential``, ``Model``,
``layers``, ``ops``, ``activations``, ``initializers``, ``regularizers``, ``constraints``,
``utils``.
"""

from kgraph import (
    activations,
    callbacks,
    constraints,
    initializers,
    layers,
    losses,
    metrics,
    ops,
    optimizers,
    random,
    regularizers,
    utils,
)
from kgraph.layers import Input, InputSpec, Layer
from kgraph.models.functional import Functional
from kgraph.models.model import Model
from kgraph.models.sequential import Sequential
from kgraph.tensor import KerasTensor, Variable
from kgraph.version import __version__

__all__ = [
    "Functional",
    "Input",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Model",
    "Sequential",
    "Variable",
    "__version__",
    "activations",
    "callbacks",
    "constraints",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "ops",
    "optimizers",
    "random",
    "regularizers",
    "utils",
]
