"""kgraph's compiler: IR graphs in, ONNX models out.

``compile_inference`` takes the graph the front end traced and runs the inference passes;
``compile_training`` (``compiler.training``) adds loss, gradients and optimizer updates.
The compiler sees IR, never layers.
"""

from __future__ import annotations

from collections.abc import Mapping

import onnx_ir as ir

from kgraph.compiler import serde
from kgraph.compiler.passes import inference_passes


def compile_inference(
    graph: ir.Graph, metadata: Mapping[str, str] | None = None, producer_version: str = ""
) -> ir.Model:
    """Wraps ``graph`` in a model and runs the inference passes on it."""
    model = serde.to_model(graph, metadata, producer_version)
    return inference_passes()(model).model


__all__ = ["compile_inference", "serde"]
