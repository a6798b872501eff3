"""Oracle: ``kgraph.utils.Progbar`` averages values over steps as Keras' Progbar does (stateful
and stateless lists, ``add``, finalize), and its verbose=2 line shows the same numbers."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout

import pytest

import kgraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS

UPDATES = [
    ("update", 1, [("loss", 4.0), ("acc", 0.25), ("lr", 0.1)]),
    ("update", 3, [("loss", 2.0), ("acc", 0.5), ("lr", 0.2)]),
    ("add", 2, [("loss", 1.0), ("acc", 1.0), ("lr", 0.3)]),
    ("update", 6, [("loss", 0.5), ("acc", 0.75), ("lr", 0.4)]),
]


@pytest.mark.parametrize(
    "kwargs", [{}, {"stateful_metrics": ["lr"]}, {"stateless_metrics": ["loss"]}]
)
def test_values_and_final_line_match_keras(kwargs):
    ours = kgraph.utils.Progbar(8, verbose=2, stream=io.StringIO(), **kwargs)
    theirs = keras.utils.Progbar(8, verbose=2, **kwargs)
    printed = io.StringIO()
    with redirect_stdout(printed):
        for method, n, values in UPDATES:
            getattr(ours, method)(n, values)
            getattr(theirs, method)(n, values)
            assert ours._values == theirs._values
        ours.update(8, [("loss", 0.1), ("acc", 0.9), ("lr", 0.5)])
        theirs.update(8, [("loss", 0.1), ("acc", 0.9), ("lr", 0.5)])

    def numbers(text):
        return re.findall(r"(\w+): ([0-9.e+-]+)", text)

    shown = numbers(ours.stream.getvalue())
    assert [name for name, _ in shown] == ["loss", "acc", "lr"]
    assert shown == numbers(printed.getvalue())
