"""``model.summary()``: the Keras-style table of layers, output shapes and parameter counts."""

from __future__ import annotations

import re

import numpy as np

from kgraph.layers.core.input_layer import InputLayer
from kgraph.models import summary_layout


def _bytes(variables) -> float:
    """Memory of ``variables``, each counted once, by its dtype's size."""
    unique = {id(v): v for v in variables}.values()
    return float(sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in unique))


def _size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def _count(variables) -> int:
    return int(sum(int(np.prod(v.shape, dtype=np.int64)) for v in variables))


def _shape(shape) -> str:
    """Keras' shape text: ``(None, 5)``; a rank-1 shape is ``(None)``."""
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _output_shape(layer) -> str:
    """The shape(s) of the layer's last call: one shape, or Keras' list or dict of them."""
    if isinstance(layer, InputLayer):
        return _shape(layer.batch_shape)
    if not layer._inbound_nodes:
        return "?"
    out = layer._inbound_nodes[-1].outputs
    if isinstance(out, dict):
        return "{" + ", ".join(f"{k}: {_shape(t.shape)}" for k, t in out.items()) + "}"
    if isinstance(out, (list, tuple)):
        shapes = [_shape(t.shape) for t in out]
        return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
    return _shape(out.shape)


def _connections(layer, in_model: set[int]) -> str:
    """``name[node][tensor]`` of every tensor feeding the layer's calls inside the model."""
    refs = [
        f"{t._history[0].name}[{t._history[1]}][{t._history[2]}]"
        for node in layer._inbound_nodes
        if id(node) in in_model
        for t in node.input_tensors
    ]
    return ", ".join(refs) or "-"


def _summary_layers(model) -> list:
    """``model.layers``, plus, for a Functional model, the ops applied between its layers."""
    from kgraph.models.sequential import Sequential

    if isinstance(model, Sequential) or not hasattr(model, "_functional_layers"):
        return model.layers
    return model._functional_layers


def _sequential_like(model) -> bool:
    """Keras' test for the 3-column table: a Sequential, or a Functional whose nodes form one
    chain (one node per depth, each with at most one input, no layer called twice)."""
    from kgraph.models.functional import Functional, node_depths
    from kgraph.models.sequential import Sequential

    if isinstance(model, Sequential) or not isinstance(model, Functional):
        return True
    nodes = model._nodes
    depths = list(node_depths(nodes).values())
    layers = [node.layer for node in nodes]
    return (
        len(set(depths)) == len(depths)
        and all(len(node.input_tensors) <= 1 for node in nodes)
        and len({id(layer) for layer in layers}) == len(layers)
    )


def _params(layer) -> str:
    if not getattr(layer, "built", True):
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _trainable_mark(layer) -> str:
    """Keras' "Trainable" cell: Y or N for a layer with weights, "-" without."""
    if not layer.weights:
        return "-"
    return "Y" if layer.trainable else "N"


def _rows(layer, level, options) -> list[list[str]]:
    """The layer's row, then (with ``expand_nested``) its own layers' rows, indented."""
    chain, in_model, show_trainable, expand_nested = options
    prefix = "   " * level + "└ " if level else ""
    kind = getattr(layer, "display_type", type(layer).__name__)
    cells = [f"{prefix}{layer.name} ({kind})", _output_shape(layer), _params(layer)]
    cells += [] if chain else [_connections(layer, in_model)]
    cells += [_trainable_mark(layer)] if show_trainable else []
    rows = [cells]
    if expand_nested and getattr(layer, "layers", None):
        for inner in layer.layers:
            rows += _rows(inner, level + 1, options)
    return rows


def layer_bounds(layers, layer_range) -> tuple[int, int]:
    """Keras' ``layer_range``: the first layer whose name matches ``layer_range[0]`` (a regular
    expression) to the last that matches ``layer_range[1]``, both included."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(
            "layer_range must be a list or tuple of length 2. Received: "
            f"layer_range = {layer_range} of length {len(layer_range)}"
        )
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _totals(model) -> list[str]:
    """The parameter counts and sizes under the table (with the optimizer's once it is built)."""
    trainable, frozen = model.trainable_weights, model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    # Keras builds its optimizer at the first step (or on loading its state); kgraph makes the
    # slots at compile, so they count once a step ran
    stepped = optimizer is not None and optimizer.built and int(optimizer.iterations) > 0
    slots = list(optimizer.variables) if stepped else []
    total = _count(trainable) + _count(frozen) + _count(slots)
    memory = _bytes(trainable) + _bytes(frozen) + _bytes(slots)
    lines = [
        f" Total params: {total:,} ({_size(memory)})",
        f" Trainable params: {_count(trainable):,} ({_size(_bytes(trainable))})",
        f" Non-trainable params: {_count(frozen):,} ({_size(_bytes(frozen))})",
    ]
    if slots:
        lines.append(f" Optimizer params: {_count(slots):,} ({_size(_bytes(slots))})")
    return lines


def print_summary(
    model,
    line_length=None,
    positions=None,
    print_fn=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
) -> None:
    """Prints (or passes to ``print_fn`` line by line) the summary table of ``model``: Keras'
    columns, plus "Connected to" when the model is not a simple chain and "Trainable" with
    ``show_trainable``; ``expand_nested`` indents nested models' layers under them and
    ``layer_range`` keeps the layers between two names."""
    print_fn = print_fn or print
    chain = _sequential_like(model)
    headers, widths = summary_layout.layout(chain, show_trainable, line_length, positions)
    in_model = set() if chain else {id(node) for node in model._nodes}
    options = (chain, in_model, show_trainable, expand_nested)
    layers = _summary_layers(model)
    first, end = layer_bounds(layers, layer_range)
    rows = [row for layer in layers[first:end] for row in _rows(layer, 0, options)]
    widths = summary_layout.widen(widths, headers, rows, None if chain else 3)
    lines = [f'Model: "{model.name}"', *summary_layout.render(headers, widths, rows, chain)]
    for text in lines + _totals(model):
        print_fn(text)
