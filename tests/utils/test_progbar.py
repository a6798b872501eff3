"""``kgraph.utils.Progbar`` with Keras' API: averaged and stateful values, finalize, add."""

from __future__ import annotations

import io

import pytest

from kgraph.utils import Progbar


def test_values_are_averaged_over_steps_and_the_last_update_prints_the_line():
    out = io.StringIO()
    bar = Progbar(4, stream=out, stateful_metrics=["lr"])
    bar.update(1, [("loss", 4.0), ("lr", 0.1)])
    bar.update(3, [("loss", 2.0), ("lr", 0.2)])  # two steps of 2.0: mean (4 + 2 * 2) / 3
    assert out.getvalue() == ""  # not a terminal: only the final line is printed
    assert bar._values["loss"] == [8.0, 3]
    bar.update(4, [("loss", 1.0), ("lr", 0.3)])
    line = out.getvalue()
    assert line.startswith("4/4 ━━━━━━━━━━━━━━━━━━━━") and line.endswith("\n")
    assert "- loss: 1.0000 - lr: 0.3000" in line  # Keras shows the final value on finalize
    bar.finish()
    assert out.getvalue() == line  # not printed twice


def test_add_verbose_two_and_small_values():
    out = io.StringIO()
    bar = Progbar(None, verbose=2, stream=out, unit_name="sample")
    bar.add(2, [("loss", 1e-5)])
    bar.add(3, [("loss", 1e-5)])
    assert out.getvalue() == "" and bar.seen == 5
    bar.update(5, [("loss", 1e-5)], finalize=True)
    assert out.getvalue().startswith("5/5 - ") and "sample - loss: 1.0000e-05" in out.getvalue()


def test_silent_and_dict_logs():
    out = io.StringIO()
    Progbar(2, verbose=0, stream=out).update(2, [("a", 1.0)])
    assert out.getvalue() == ""
    bar = Progbar(2, stream=out)
    bar.update(2, {"loss": 0.5})  # the training loop's dict: finish() ends the bar
    assert out.getvalue() == ""
    bar.finish({"loss": 0.5, "accuracy": 1.0})
    assert out.getvalue().endswith(" - accuracy: 1.0000 - loss: 0.5000\n")


def test_stateful_and_stateless_lists_are_exclusive():
    with pytest.raises(ValueError, match="Only one of"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
