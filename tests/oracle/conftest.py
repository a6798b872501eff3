"""Fixtures of the Keras oracle tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def numpy_initial_weights(monkeypatch):
    """Keras draws initial weights with numpy (see ``draw_keras_initial_weights_with_numpy``):
    for modules whose tests copy weights across or only need them random."""
    from tests.oracle.keras_oracle import draw_keras_initial_weights_with_numpy

    draw_keras_initial_weights_with_numpy(monkeypatch)
