"""``model.summary()``: the Keras-style table of layers, output shapes and parameter counts."""

from __future__ import annotations

import shutil

import numpy as np

from kgraph.layers.core.input_layer import InputLayer


def _size(count: int) -> str:
    size = float(count) * 4
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return ""


def _output_shape(layer) -> str:
    if isinstance(layer, InputLayer):
        return str(layer.batch_shape)
    shapes = [n.outputs for n in layer._inbound_nodes]
    if not shapes:
        return "?"
    out = shapes[-1]
    if isinstance(out, (list, tuple)):
        return ", ".join(str(t.shape) for t in out)
    return str(out.shape)


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


def _wrap(text: str, width: int) -> list[str]:
    """Splits ``text`` after ", " so that each line fits ``width`` where it can."""
    lines, current = [], ""
    for part in text.split(", "):
        candidate = f"{current}, {part}" if current else part
        if current and len(candidate) + 1 > width:
            lines.append(current + ",")
            current = part
        else:
            current = candidate
    return [*lines, current]


def _trainable_mark(layer) -> str:
    """Keras' "Trainable" cell: Y or N for a layer with weights, "-" without."""
    if not layer.weights:
        return "-"
    return "Y" if layer.trainable else "N"


def print_summary(model, line_length=None, print_fn=None, show_trainable=False) -> None:
    """Prints (or passes to ``print_fn`` line by line) the summary table of ``model``: Keras'
    columns, plus "Connected to" when the model is not a simple chain and "Trainable" with
    ``show_trainable``."""
    print_fn = print_fn or print
    chain = _sequential_like(model)
    headers = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    headers += ["Trainable"] if show_trainable else []
    in_model = set() if chain else {id(node) for node in model._nodes}
    rows = [
        [
            f"{layer.name} ({getattr(layer, 'display_type', type(layer).__name__)})",
            _output_shape(layer),
            f"{layer.count_params():,}",
        ]
        + ([] if chain else [_connections(layer, in_model)])
        + ([_trainable_mark(layer)] if show_trainable else [])
        for layer in _summary_layers(model)
    ]
    if chain:
        widths = [33, 26, 15]
        if line_length:
            widths[0] = max(20, line_length - widths[1] - widths[2] - 4)
    else:  # Keras' column positions for this table: 0.3, 0.56, 0.74 of the line
        total = line_length or min(108, shutil.get_terminal_size().columns - 4)
        edges = [int(p * total) for p in (0.3, 0.56, 0.74, 1.0)]
        widths = [b - a for a, b in zip([0, *edges], edges)]
    widths += [11] if show_trainable else []  # Keras gives it a tenth of its wider line
    for cells in rows:
        widths[0] = max(widths[0], len(cells[0]) + 2)
        widths[1] = max(widths[1], len(cells[1]) + 2)
        if not chain:  # room for the longest reference and its comma, so borders line up
            widths[3] = max(widths[3], max(len(p) for p in cells[3].split(", ")) + 3)
    right = {2}  # the parameter counts

    def line(left, mid, end, fill):
        return left + mid.join(fill * w for w in widths) + end

    def row(cells, sep="│"):
        texts = [
            f"{cell:>{w - 2}}" if i in right else f"{cell:<{w - 2}}"
            for i, (cell, w) in enumerate(zip(cells, widths))
        ]
        if show_trainable:  # centred
            texts[-1] = f"{cells[-1]:^{widths[-1] - 2}}"
        return f"{sep} " + f" {sep} ".join(texts) + f" {sep}"

    lines = [
        f'Model: "{model.name}"',
        line("┏", "┳", "┓", "━"),
        row(headers, "┃"),
        line("┡", "╇", "┩", "━"),
    ]
    for i, cells in enumerate(rows):
        wrapped = _wrap(cells[3], widths[3] - 2) if not chain else [None]
        for j, extra in enumerate(wrapped):
            first = cells[:3] if j == 0 else ["", "", ""]
            mark = [cells[-1] if j == 0 else ""] if show_trainable else []
            lines.append(row(first + ([] if chain else [extra]) + mark))
        if i < len(rows) - 1:
            lines.append(line("├", "┼", "┤", "─"))
    lines.append(line("└", "┴", "┘", "─"))
    trainable = int(sum(np.prod(w.shape, dtype=np.int64) for w in model.trainable_weights))
    frozen = int(sum(np.prod(w.shape, dtype=np.int64) for w in model.non_trainable_weights))
    total = trainable + frozen
    lines += [
        f" Total params: {total:,} ({_size(total)})",
        f" Trainable params: {trainable:,} ({_size(trainable)})",
        f" Non-trainable params: {frozen:,} ({_size(frozen)})",
    ]
    for text in lines:
        print_fn(text)
