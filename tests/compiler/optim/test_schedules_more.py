"""Tests for compiler.optim.schedules_more: polynomial, inverse-time, SGDR, (de)serialization."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgraph.compiler.optim.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
    deserialize,
    get,
    serialize,
)

STEPS = [0, 1, 2, 3, 5, 9, 10, 11, 20, 29, 30, 31, 37, 70, 100]


def test_polynomial_decay():
    s = PolynomialDecay(1.0, 10, end_learning_rate=0.1, power=2.0)
    for step in STEPS:
        k = min(step, 10)
        assert math.isclose(s(step), 0.9 * (1 - k / 10) ** 2 + 0.1)
    c = PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    assert c(0) == 1.0 and c(10) == pytest.approx(0.0)
    assert c(15) == pytest.approx(1 - 15 / 20)  # horizon grows to 20 past the first period


def test_inverse_time_decay():
    s = InverseTimeDecay(0.5, 4, 2.0)
    assert [s(k) for k in (0, 2, 4)] == pytest.approx([0.5, 0.25, 0.5 / 3])
    stairs = InverseTimeDecay(0.5, 4, 2.0, staircase=True)
    assert [stairs(k) for k in (0, 3, 4, 7)] == pytest.approx([0.5, 0.5, 0.5 / 3, 0.5 / 3])


def test_cosine_decay_restarts():
    s = CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.0)
    assert s(0) == 1.0 and s(5) == pytest.approx(0.5)
    assert s(10) == pytest.approx(0.5)  # second period: twice as long, starts at half
    assert s(20) == pytest.approx(0.25)
    flat = CosineDecayRestarts(1.0, 4, t_mul=1.0)
    assert [flat(k) for k in (0, 2, 4, 6)] == pytest.approx([1.0, 0.5, 1.0, 0.5])
    with pytest.raises(ValueError, match="first_decay_steps"):
        CosineDecayRestarts(1.0, 0)


ALL = [
    ExponentialDecay(0.1, 10, 0.5, staircase=True),
    CosineDecay(0.1, 100, alpha=0.2, warmup_target=0.5, warmup_steps=3),
    PiecewiseConstantDecay([3, 7], [0.3, 0.2, 0.1]),
    PolynomialDecay(0.1, 12, 0.01, power=0.5, cycle=True),
    InverseTimeDecay(0.1, 3, 0.7, staircase=True),
    CosineDecayRestarts(0.1, 7, t_mul=1.5, m_mul=0.8, alpha=0.1),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialize_round_trip(schedule):
    data = serialize(schedule)
    assert data["module"] == "keras.optimizers.schedules"
    assert data["class_name"] == type(schedule).__name__
    again = deserialize(data)
    assert again.get_config() == schedule.get_config()
    assert [again(k) for k in STEPS] == [schedule(k) for k in STEPS]
    assert [get(data)(k) for k in STEPS] == [schedule(k) for k in STEPS]


def test_deserialize_errors_and_custom_objects():
    with pytest.raises(ValueError, match="Could not interpret"):
        deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="LearningRateSchedule"):
        serialize(0.1)

    class Halve(ExponentialDecay):
        pass

    data = {"class_name": "Halve", "config": ExponentialDecay(1.0, 1, 0.5).get_config()}
    assert isinstance(deserialize(data, custom_objects={"Halve": Halve}), Halve)


@pytest.mark.oracle
@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_matches_keras_and_keras_reads_our_serialization(schedule):
    from tests.oracle.keras_oracle import keras

    ks = keras.optimizers.schedules
    theirs = ks.deserialize(serialize(schedule))
    for step in STEPS:
        np.testing.assert_allclose(schedule(step), float(theirs(step)), rtol=2e-5)
    ours = deserialize(ks.serialize(theirs))
    assert [ours(k) for k in STEPS] == [schedule(k) for k in STEPS]
