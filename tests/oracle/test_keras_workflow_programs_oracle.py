"""Oracle: the keras.io workflow programs of ``tests/keras_workflow_programs*.py`` run in kgraph
and in real Keras (JAX) from the same weights give the same History values, evaluate results,
weights, predictions, callback events and saved-file round trips (slow: Keras compiles each
step; ``-m slow`` runs them)."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from tests import keras_workflow_programs as programs
from tests import keras_workflow_programs_callbacks as hooked
from tests import keras_workflow_programs_more as more
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = [*MARKS, pytest.mark.slow]

PROGRAMS = [
    programs.multi_io,
    programs.weighted,
    programs.custom_loss_metric,
    programs.added_losses,
    programs.checkpoints,
    *more.PROGRAMS,
    *hooked.PROGRAMS,
]


def assert_same(ours, theirs, where="result"):
    """Equal structure (dict keys as sets: Keras on JAX orders logs by key), equal strings and
    numbers within float32 training noise."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and sorted(ours) == sorted(theirs), where
        for key in theirs:
            assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (list, tuple)) and any(
        isinstance(v, (dict, list, tuple, str, np.ndarray)) for v in theirs
    ):
        assert len(ours) == len(theirs), where
        for index, (mine, other) in enumerate(zip(ours, theirs)):
            assert_same(mine, other, f"{where}[{index}]")
    elif isinstance(theirs, (str, bool)) or theirs is None:
        assert ours == theirs, where
    else:
        np.testing.assert_allclose(
            np.asarray(ours, float), np.asarray(theirs, float), 2e-4, 1e-5, err_msg=where
        )


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.__name__)
def test_program_matches_keras(program, tmp_path):
    for lib, folder in ((kgraph, "kgraph"), (keras, "keras")):
        (tmp_path / folder).mkdir()
        lib.utils.set_random_seed(0)
    ours = program(kgraph, str(tmp_path / "kgraph"))
    theirs = program(keras, str(tmp_path / "keras"))
    assert_same(ours, theirs)
