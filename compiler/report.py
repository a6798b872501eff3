"""A structured description of an ONNX model in the IR: what ``kgraph inspect --format json``
prints and ``--format markdown`` lays out as a report.

Parameters are attributed to layers through the nodes that read them: kgraph records each
node's layer path in its metadata (``layer_path``), so weights that a pass folded into new
initializers still count for their layer; other files fall back to the initializer's name
(``dense/kernel`` → ``dense``). Functions (``kgraph compile --functions``) are looked into.
"""

from __future__ import annotations

import json
import math
from collections import Counter

import onnx_ir as ir

from kgraph.compiler.describe import config_summary


def _dims(value: ir.Value) -> list | None:
    if value.shape is None:
        return None
    return [d if isinstance(d, int) else (d.value or "?") for d in value.shape]


def _dtype(value: ir.Value) -> str | None:
    if not isinstance(value.type, ir.TensorType):
        return None
    try:
        return value.dtype.numpy().name
    except (TypeError, ValueError, AttributeError):
        return value.dtype.name.lower()


def _io(values) -> list[dict]:
    return [{"name": v.name, "dtype": _dtype(v), "shape": _dims(v)} for v in values]


def _nodes(model: ir.Model):
    yield from ir.traversal.RecursiveGraphIterator(model.graph)
    for function in model.functions.values():
        yield from function


def _op_name(node: ir.Node) -> str:
    return node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"


def _layer_of(value: ir.Value) -> str:
    for user, _ in value.uses():
        path = user.metadata_props.get("layer_path")
        if path:
            return path
    name = value.name or "?"
    return name.rsplit("/", 1)[0] if "/" in name else "(graph)"


def _metadata(model: ir.Model) -> dict:
    found: dict = {}
    for key, text in model.metadata_props.items():
        try:
            found[key] = json.loads(text) if text[:1] in "[{" else text
        except ValueError:
            found[key] = text
    return found


def report(model: ir.Model) -> dict:
    """Inputs, outputs, opsets, op histogram, parameters in all and per layer, metadata."""
    graph = model.graph
    weights = [
        v
        for v in graph.initializers.values()
        if v.dtype is not None and v.dtype.is_floating_point()
    ]
    per_layer: Counter[str] = Counter()
    for value in weights:
        shape = _dims(value) or []
        per_layer[_layer_of(value)] += (
            math.prod(shape) if all(isinstance(d, int) for d in shape) else 0
        )
    histogram = Counter(_op_name(node) for node in _nodes(model) if node.domain != "kgraph.layers")
    return {
        "producer": " ".join(p for p in (model.producer_name, model.producer_version) if p),
        "ir_version": model.ir_version,
        "opsets": {domain or "ai.onnx": version for domain, version in model.opset_imports.items()},
        "graph": graph.name,
        "doc_string": model.doc_string or "",
        "inputs": _io(v for v in graph.inputs if v.name not in graph.initializers),
        "outputs": _io(graph.outputs),
        "parameters": sum(per_layer.values()),
        "parameters_per_layer": dict(sorted(per_layer.items())),
        "nodes": sum(histogram.values()),
        "ops": dict(sorted(histogram.items(), key=lambda item: (-item[1], item[0]))),
        "functions": sorted(f.name for f in model.functions.values()),
        "metadata": _metadata(model),
    }


def markdown(info: dict, title: str) -> str:
    """``report``'s dict as a Markdown report under a ``# title`` heading."""

    def table(header: list[str], rows: list[list]) -> list[str]:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]

    def shape(dims) -> str:
        return "?" if dims is None else "[" + ", ".join(str(d) for d in dims) + "]"

    opsets = ", ".join(f"{d} {v}" for d, v in info["opsets"].items())
    out = [f"# {title}", "", f"- producer: {info['producer'] or '?'}", f"- opset: {opsets}"]
    out += [f"- IR version: {info['ir_version']}", f"- parameters: {info['parameters']:,}"]
    out += [f"- nodes: {info['nodes']}", ""]
    if info["doc_string"]:
        out += [f"> {line}" for line in info["doc_string"].splitlines()] + [""]
    for heading in ("inputs", "outputs"):
        rows = [[f"`{v['name']}`", v["dtype"], shape(v["shape"])] for v in info[heading]]
        out += [f"## {heading.capitalize()}", "", *table(["name", "dtype", "shape"], rows), ""]
    out += ["## Ops", "", *table(["op", "count"], [[f"`{k}`", v] for k, v in info["ops"].items()])]
    rows = [[f"`{k}`", f"{v:,}"] for k, v in info["parameters_per_layer"].items()]
    out += ["", "## Parameters per layer", "", *table(["layer", "parameters"], rows), ""]
    if info["functions"]:
        out += ["## Functions", "", ", ".join(f"`{f}`" for f in info["functions"]), ""]
    out += ["## Metadata", ""]
    for key, value in info["metadata"].items():
        text = json.dumps(value) if not isinstance(value, str) else value
        shown = config_summary(text) if key == "keras_config" else " ".join(text.split())[:400]
        out.append(f"- `{key}`: {shown}")
    return "\n".join(out) + "\n"
