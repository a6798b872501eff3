"""``model.summary()`` for non-chain Functional models: Keras' "Connected to" column, in Keras'
layer order (the values are read off Keras 3.15's summary of the same model)."""

from __future__ import annotations

import kgraph as keras
from kgraph import layers


def shared_and_concat():
    x, y = keras.Input((8,), name="x"), keras.Input((3,), name="y")
    b = layers.Dense(3, name="b")(layers.Dense(8, name="a")(x))
    shared = layers.Dense(3, name="shared")
    added = layers.Add(name="add")([shared(b), shared(y)])
    return keras.Model([x, y], [added, layers.Concatenate(name="cat")([b, y])])


def table(model, line_length=None) -> list[list[str]]:
    """The body rows' cells, with the cells of wrapped continuation lines joined."""
    lines = []
    model.summary(line_length=line_length, print_fn=lines.append)
    rows = []
    for text in lines:
        if not text.startswith("│"):
            continue
        cells = [cell.strip() for cell in text.strip("│").split("│")]
        if cells[0]:
            rows.append(cells)
        else:
            rows[-1][-1] += " " + cells[-1]
    return rows


def test_connected_to_column_matches_keras():
    rows = table(shared_and_concat(), line_length=120)
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("x (InputLayer)", "0", "-"),
        ("a (Dense)", "72", "x[0][0]"),
        ("b (Dense)", "27", "a[0][0]"),
        ("y (InputLayer)", "0", "-"),
        ("shared (Dense)", "12", "b[0][0], y[0][0]"),
        ("add (Add)", "0", "shared[0][0], shared[1][0]"),
        ("cat (Concatenate)", "0", "b[0][0], y[0][0]"),
    ]


def test_long_connections_wrap_at_commas():
    rows = table(shared_and_concat(), line_length=76)
    assert rows[5][3] == "shared[0][0], shared[1][0]"  # printed over two lines, rejoined here


def test_a_chain_keeps_three_columns():
    x = keras.Input((4,), name="x")
    rows = table(keras.Model(x, layers.Dense(2, name="d")(layers.Dense(3, name="h")(x))))
    assert [len(r) for r in rows] == [3, 3, 3]
