"""Tests for compiler.optim.schedules: host-side learning-rate schedules with Keras' formulas."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from kgraph.compiler.optim.schedules import (
    CosineDecay,
    ExponentialDecay,
    PiecewiseConstantDecay,
    get,
    learning_rate_at,
)

STEPS = [0, 1, 2, 5, 9, 10, 11, 20, 37, 100]


def test_exponential_decay():
    s = ExponentialDecay(0.1, 10, 0.5)
    for step in STEPS:
        assert math.isclose(s(step), 0.1 * 0.5 ** (step / 10))
    stairs = ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert [stairs(k) for k in (0, 9, 10, 19, 20)] == [0.1, 0.1, 0.05, 0.05, 0.025]


def test_cosine_decay_without_warmup():
    s = CosineDecay(1.0, 20, alpha=0.1)
    for step in STEPS:
        k = min(step, 20)
        want = 0.9 * 0.5 * (1 + math.cos(math.pi * k / 20)) + 0.1
        assert math.isclose(s(step), want, abs_tol=1e-12)
    assert s(20) == s(1000) == pytest.approx(0.1)


def test_cosine_decay_with_warmup():
    s = CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=5)
    assert [s(k) for k in range(5)] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    assert s(5) == pytest.approx(1.0)
    assert s(10) == pytest.approx(0.5)  # half way through the cosine
    assert s(15) == s(99) == pytest.approx(0.0)


def test_piecewise_constant_decay_includes_the_boundary_in_the_lower_piece():
    s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(k) for k in (0, 10, 11, 20, 21, 500)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    with pytest.raises(ValueError, match="1 less"):
        PiecewiseConstantDecay([10], [1.0])


def test_config_round_trip_and_get():
    for s in (
        ExponentialDecay(0.1, 10, 0.5, staircase=True),
        CosineDecay(0.1, 100, alpha=0.2, warmup_target=0.5, warmup_steps=3),
        PiecewiseConstantDecay([3, 7], [0.3, 0.2, 0.1]),
    ):
        again = type(s).from_config(s.get_config())
        assert again.get_config() == s.get_config()
        built = get({"class_name": type(s).__name__, "config": s.get_config()})
        assert [built(k) for k in STEPS] == [s(k) for k in STEPS]
    assert get(0.01) == 0.01
    with pytest.raises(ValueError):
        get("fast")
    with pytest.raises(ValueError, match="decay_steps"):
        ExponentialDecay(0.1, 0, 0.5)


def test_graph_step_is_one_based():
    s = ExponentialDecay(0.1, 1, 0.5)
    assert learning_rate_at(s, 1) == s(0) == 0.1  # the first update reads iteration 0
    assert learning_rate_at(s, 3) == s(2)
    assert learning_rate_at(0.02, 7) == 0.02


@pytest.mark.oracle
def test_matches_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    ks = keras.optimizers.schedules
    pairs = [
        (ExponentialDecay(0.1, 7, 0.3), ks.ExponentialDecay(0.1, 7, 0.3)),
        (ExponentialDecay(0.1, 7, 0.3, True), ks.ExponentialDecay(0.1, 7, 0.3, True)),
        (CosineDecay(0.1, 30, 0.05), ks.CosineDecay(0.1, 30, 0.05)),
        (
            CosineDecay(0.01, 30, 0.0, warmup_target=0.1, warmup_steps=8),
            ks.CosineDecay(0.01, 30, 0.0, warmup_target=0.1, warmup_steps=8),
        ),
        (
            PiecewiseConstantDecay([4, 9], [0.3, 0.2, 0.1]),
            ks.PiecewiseConstantDecay([4, 9], [0.3, 0.2, 0.1]),
        ),
    ]
    for ours, theirs in pairs:
        for step in STEPS:
            np.testing.assert_allclose(ours(step), float(theirs(step)), rtol=1e-5)  # Keras: f32
