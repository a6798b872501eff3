"""``model.summary()``: the Keras-style table of layers, output shapes and parameter counts."""

from __future__ import annotations

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


def _rows(model):
    for layer in model.layers:
        yield (
            f"{layer.name} ({type(layer).__name__})",
            _output_shape(layer),
            f"{layer.count_params():,}",
        )


def print_summary(model, line_length=None, print_fn=None) -> None:
    """Prints (or passes to ``print_fn`` line by line) the summary table of ``model``."""
    print_fn = print_fn or print
    widths = [33, 26, 15]
    if line_length:
        widths[0] = max(20, line_length - widths[1] - widths[2] - 4)
    rows = list(_rows(model))
    for name, shape, _ in rows:
        widths[0] = max(widths[0], len(name) + 2)
        widths[1] = max(widths[1], len(shape) + 2)

    def line(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    def row(cells, sep="│"):
        name, shape, params = cells
        return (
            f"{sep} {name:<{widths[0] - 2}} {sep} {shape:<{widths[1] - 2}} {sep} "
            f"{params:>{widths[2] - 2}} {sep}"
        )

    lines = [
        f'Model: "{model.name}"',
        line("┏", "┳", "┓", "━"),
        row(("Layer (type)", "Output Shape", "Param #"), "┃"),
        line("┡", "╇", "┩", "━"),
    ]
    for i, cells in enumerate(rows):
        lines.append(row(cells))
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
