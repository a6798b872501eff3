"""kgraph's compiler: IR graphs in, ONNX models out.

``compile_inference`` takes the graph the front end traced and runs the inference passes;
``compile_training`` (``compiler.training``) adds loss, gradients and optimizer updates.
The compiler sees IR, never layers.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx_ir as ir


def compile_inference(
    graph: ir.Graph, metadata: Mapping[str, str] | None = None, producer_version: str = ""
) -> ir.Model:
    """Wraps ``graph`` in a model and runs the inference passes on it."""
    from kgraph.compiler import serde
    from kgraph.compiler.passes import inference_passes

    model = serde.to_model(graph, metadata, producer_version)
    return inference_passes()(model).model


def __getattr__(name: str):
    """Submodules load on first use, so that ``kgraph inspect`` (which needs only
    ``describe`` and ``serde``) does not import the passes and onnxscript."""
    if name == "serde":
        return importlib.import_module("kgraph.compiler.serde")
    raise AttributeError(f"module 'kgraph.compiler' has no attribute {name!r}")


__all__ = ["compile_inference", "serde"]
