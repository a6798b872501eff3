"""Column widths and text of ``model.summary()``'s table, as Keras lays it out.

Keras gives each column ``int(position * line_length)`` characters (its default positions and
line length, or the caller's), then lets its table renderer fit them into the line: one
character of padding each side, one per border, and the excess taken off the columns evenly.
The same arithmetic here gives Keras' widths, and cells wrap at spaces as Keras' do
("Connected to" lists after their commas). Where a single word does not fit its column,
kgraph widens the column to the whole cell (Keras cuts the word with an ellipsis), and a
layer's "name (Type)" widens its column rather than wrap.
"""

from __future__ import annotations

import math
import re
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
    """Widens the columns where a word does not fit (Keras would cut it with an ellipsis): to
    the whole cell, which then stays on one line; a reference list fits its longest reference
    and comma. A layer's "name (Type)" is never wrapped (Keras wraps it at the space), so each
    layer's first line names it whole."""
    widths = list(widths)
    for cells in [headers, *rows]:
        for i, cell in enumerate(cells):
            if i == refs and cells is not headers:
                widths[i] = max(widths[i], max(len(p) for p in cell.split(", ")) + 3)
            elif i == 0 and cells is not headers:  # "name (Type)" stays on one line
                widths[i] = max(widths[i], len(cell) + 2)
            elif max(len(word) for word in re.findall(r"\s*\S+", cell) or [""]) > widths[i] - 2:
                widths[i] = len(cell) + 2
    return widths


def wrap_words(text: str, width: int) -> list[str]:
    """Greedy word wrap at spaces, as Keras' table renderer wraps a cell (a leading indent
    stays with the first word)."""
    lines, current = [], ""
    for token in re.findall(r"\s*\S+", text) or [""]:
        if current and len(current) + len(token) > width:
            lines.append(current)
            current = token.lstrip()
        else:
            current += token
    return [*lines, current]


def render(headers: list[str], widths: list[int], rows: list[list[str]], chain: bool):
    """The table's lines: Keras' box characters, cells wrapped to their column, parameter
    counts right-aligned and the Trainable marks centred."""
    refs = None if chain else 3
    trainable = headers[-1] == "Trainable"

    def border(left, mid, end, fill):
        return left + mid.join(fill * w for w in widths) + end

    def text(i, cell, width):
        if i == 2:
            return f"{cell:>{width - 2}}"
        if trainable and i == len(widths) - 1:
            return f"{cell:^{width - 2}}"
        return f"{cell:<{width - 2}}"

    def row(cells, sep="│"):
        parts = [
            wrap_references(cell, w - 2) if i == refs and sep == "│" else wrap_words(cell, w - 2)
            for i, (cell, w) in enumerate(zip(cells, widths))
        ]
        height = max(len(p) for p in parts)
        if sep == "┃":  # header cells sit at the bottom of their row
            parts = [[""] * (height - len(p)) + p for p in parts]
        return [
            f"{sep} "
            + f" {sep} ".join(
                text(i, p[j] if j < len(p) else "", w)
                for i, (p, w) in enumerate(zip(parts, widths))
            )
            + f" {sep}"
            for j in range(height)
        ]

    lines = [border("┏", "┳", "┓", "━"), *row(headers, "┃"), border("┡", "╇", "┩", "━")]
    for index, cells in enumerate(rows):
        lines += row(cells)
        if index < len(rows) - 1:
            lines.append(border("├", "┼", "┤", "─"))
    lines.append(border("└", "┴", "┘", "─"))
    return lines
