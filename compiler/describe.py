"""A readable description of an ONNX model in the IR: what ``kgraph inspect`` prints.

Inputs and outputs with dtypes and shapes, producer, IR version, opsets, the parameter count,
a histogram of op types (subgraphs included) and the metadata, with kgraph's model config
summarised rather than dumped.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import onnx_ir as ir

CONFIG_KEY = "keras_config"


def describe(model: ir.Model, title: str) -> list[str]:
    """Returns the lines that describe ``model``, under a first line ``title``.

    Args:
        model: The model, loaded into the IR (external data need not be readable).
        title: The first line, e.g. the file name and its size.
    """
    graph = model.graph
    opsets = ", ".join(
        f"{domain or 'ai.onnx'} {version}" for domain, version in model.opset_imports.items()
    )
    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p) or "?"
    lines = [
        title,
        f"  producer:    {producer}",
        f"  IR version:  {model.ir_version}",
        f"  opset:       {opsets}",
        f"  graph:       {graph.name or '?'}",
    ]
    inputs = [v for v in graph.inputs if v.name not in graph.initializers]
    for heading, values in (("inputs", inputs), ("outputs", list(graph.outputs))):
        lines.append(f"{heading}:")
        width = max((len(v.name or "") for v in values), default=0)
        for value in values:
            lines.append(f"  {value.name:<{width}}  {_dtype(value):<8} {_shape(value)}")
    weights = [v for v in graph.initializers.values() if _is_float(v)]
    others = len(graph.initializers) - len(weights)
    line = f"parameters:  {sum(_size(v) for v in weights):,} in {len(weights)} initializers"
    if others:  # shape and index constants are initializers too, but not parameters
        line += f" (+{others} non-float constant{'s' if others > 1 else ''})"
    lines.append(line)
    histogram = Counter(
        f"{n.domain}::{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type
        for n in ir.traversal.RecursiveGraphIterator(graph)
    )
    lines.append(f"ops:         {sum(histogram.values())} nodes, {len(histogram)} types")
    width = max((len(op) for op in histogram), default=0)
    for op, count in sorted(histogram.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  {op:<{width}}  {count}")
    metadata = model.metadata_props
    lines.append("metadata:" if metadata else "metadata:    (none)")
    for key, value in metadata.items():
        shown = config_summary(value) if key == CONFIG_KEY else " ".join(value.split())
        lines.append(f"  {key}: {shown[:400]}")
    return lines


def config_summary(text: str) -> str:
    """``Sequential 'name' 3 layers (1,234 characters of JSON)`` for a model config."""
    try:
        config = json.loads(text)
    except ValueError:
        return f"({len(text):,} characters, not JSON)"
    if not isinstance(config, dict):
        return f"({len(text):,} characters of JSON)"
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    parts = [str(config.get("class_name", "?"))]
    if inner.get("name"):
        parts.append(f"'{inner['name']}'")
    if isinstance(inner.get("layers"), list):
        parts.append(f"{len(inner['layers'])} layers")
    return " ".join(parts) + f" ({len(text):,} characters of JSON)"


def _dtype(value: ir.Value) -> str:
    if value.type is None:
        return "?"
    if not isinstance(value.type, ir.TensorType):
        return type(value.type).__name__
    try:
        return value.dtype.numpy().name
    except (TypeError, ValueError, AttributeError):
        return value.dtype.name.lower()


def _shape(value: ir.Value) -> str:
    if value.shape is None:
        return "(unknown rank)"
    dims = [str(d) if isinstance(d, int) else (d.value or "?") for d in value.shape]
    return "[" + ", ".join(dims) + "]"


def _is_float(value: ir.Value) -> bool:
    return value.dtype is not None and value.dtype.is_floating_point()


def _size(value: ir.Value) -> int:
    if value.shape is None or not all(isinstance(d, int) for d in value.shape):
        return 0
    return math.prod(value.shape)
