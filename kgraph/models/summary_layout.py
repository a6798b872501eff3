"""Column widths and text of ``model.summary()``'s table, as Keras lays it out.

Keras gives each column ``int(position * line_length)`` characters (its default positions and
line length, or the caller's), then lets its table renderer fit them into the line: one
character of padding each side, one per border, and the excess taken off the columns evenly.
The same arithmetic here gives Keras' widths. Where a cell does not fit its column, kgraph
widens the column (Keras would cut the text with an ellipsis); "Connected to" lists wrap
after their commas, as Keras' do.
"""

from __future__ import annotations

import math
import shutil

CHAIN = (["Layer (type)", "Output Shape", "Param #"], [0.45, 0.80, 1.0], 88)
GRAPH = (
    ["Layer (type)", "Output Shape", "Param #", "Connected to"],
    [0.3, 0.56, 0.74, 1.0],
    108,
)


def layout(chain: bool, show_trainable: bool, line_length=None, positions=None):
    """``(headers, widths)``: the table's column headers and widths (padding included)."""
    headers, default_positions, default_length = CHAIN if chain else GRAPH
    headers, positions = list(headers), list(positions or default_positions)
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        headers.append("Trainable")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    if len(positions) < len(headers):
        raise ValueError(
            f"positions needs one entry per column ({len(headers)}: {headers}). "
            f"Received: positions={positions}"
        )
    widths, current = [], 0
    for position in positions[: len(headers)]:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    return headers, _fit([w + 2 for w in widths], line_length - len(widths) - 1)


def _fit(widths: list[int], room: int) -> list[int]:
    """Widths that add up to ``room``: the excess taken off evenly (rounded half to even,
    column by column), or the room left shared out in proportion to the widths."""
    excess = sum(widths) - room
    if excess > 0:
        fitted, count = [], len(widths)
        for width in widths:
            cut = min(width, round(excess / count))
            fitted.append(width - cut)
            excess, count = excess - cut, count - 1
        return fitted
    extra, total, fitted = -excess, sum(widths), []
    for width in widths:
        add = max(0, math.ceil(width * extra / total))
        fitted.append(width + add)
        extra, total = extra - add, total - width
    return fitted


def wrap_references(text: str, width: int) -> list[str]:
    """Splits a "Connected to" list after ", " so that each line fits ``width`` where it can."""
    lines, current, parts = [], "", text.split(", ")
    for index, part in enumerate(parts):
        candidate = f"{current}, {part}" if current else part
        comma = 1 if index < len(parts) - 1 else 0  # a line that goes on ends with a comma
        if current and len(candidate) + comma > width:
            lines.append(current + ",")
            current = part
        else:
            current = candidate
    return [*lines, current]


def widen(widths: list[int], headers: list[str], rows: list[list[str]], refs: int | None):
    """Widens the columns whose header or cells do not fit (a reference list fits its longest
    reference and comma)."""
    widths = list(widths)
    for i, header in enumerate(headers):
        widths[i] = max(widths[i], len(header) + 2)
    for cells in rows:
        for i, cell in enumerate(cells):
            if i == refs:
                widths[i] = max(widths[i], max(len(p) for p in cell.split(", ")) + 3)
            else:
                widths[i] = max(widths[i], len(cell) + 2)
    return widths


def render(headers: list[str], widths: list[int], rows: list[list[str]], chain: bool):
    """The table's lines: Keras' box characters, parameter counts right-aligned and the
    Trainable marks centred."""
    refs = None if chain else 3
    trainable = headers[-1] == "Trainable"

    def border(left, mid, end, fill):
        return left + mid.join(fill * w for w in widths) + end

    def row(cells, sep="│"):
        texts = []
        for i, (cell, width) in enumerate(zip(cells, widths)):
            if i == 2:
                texts.append(f"{cell:>{width - 2}}")
            elif trainable and i == len(cells) - 1:
                texts.append(f"{cell:^{width - 2}}")
            else:
                texts.append(f"{cell:<{width - 2}}")
        return f"{sep} " + f" {sep} ".join(texts) + f" {sep}"

    lines = [border("┏", "┳", "┓", "━"), row(headers, "┃"), border("┡", "╇", "┩", "━")]
    for index, cells in enumerate(rows):
        wrapped = [None] if refs is None else wrap_references(cells[refs], widths[refs] - 2)
        for j, extra in enumerate(wrapped):
            line = list(cells) if j == 0 else [""] * len(cells)
            if refs is not None:
                line[refs] = extra
            lines.append(row(line))
        if index < len(rows) - 1:
            lines.append(border("├", "┼", "┤", "─"))
    lines.append(border("└", "┴", "┘", "─"))
    return lines
