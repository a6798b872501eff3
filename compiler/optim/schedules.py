"""Learning-rate schedules evaluated on the host, with Keras 3's formulas.

The step graph takes the learning rate as an input, so a schedule never enters the graph: the
trainer evaluates it in Python before each step. Keras reads a schedule at
``optimizer.iterations`` *before* the increment, i.e. at the 0-based iteration; the graph's
``step`` input is 1-based, so step ``k`` uses ``schedule(k - 1)`` (:func:`learning_rate_at`).
"""

from __future__ import annotations

import math
from typing import Any


class LearningRateSchedule:
    """Base class: a callable from the 0-based iteration to a learning rate."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuilds a schedule from :meth:`get_config`'s output."""
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored with staircase).

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive number of steps per decay period.
        decay_rate: The factor applied per period.
        staircase: Whether to decay in discrete intervals.
        name: Name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: {decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate * self.decay_rate**p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or, after a linear warmup, from ``warmup_target``)
    down to ``alpha`` times it over ``decay_steps``; the rate stays there afterwards.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive number of decay steps (after the warmup).
        alpha: Final fraction of the decayed-from rate.
        name: Name of the schedule.
        warmup_target: Rate reached at the end of the warmup; None disables the warmup.
        warmup_steps: Number of linear warmup steps.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: {decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step: float, start: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            return float(self._decay(min(step, self.decay_steps), self.initial_learning_rate))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return float(delta * step / self.warmup_steps + self.initial_learning_rate)
        return float(self._decay(step - self.warmup_steps, self.warmup_target))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` on
    ``(boundaries[i-1], boundaries[i]]`` and ``values[-1]`` after the last boundary.

    Args:
        boundaries: Increasing step boundaries.
        values: One more rate than boundaries.
        name: Name of the schedule.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries}, values={values}"
            )
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step: int) -> float:
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


from kgraph.compiler.optim.schedules_more import (  # noqa: E402  (they subclass the base above)
    CosineDecayRestarts,
    InverseTimeDecay,
    PolynomialDecay,
    deserialize,
    serialize,
)

SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        CosineDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecayRestarts,
    )
}


def get(identifier: Any) -> float | LearningRateSchedule:
    """A float rate or a schedule from a schedule, a float, or ``{"class_name", "config"}``."""
    if isinstance(identifier, (LearningRateSchedule, int, float)):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in SCHEDULES:
        return deserialize(identifier)
    raise ValueError(f"Could not interpret learning rate identifier: {identifier!r}")


def learning_rate_at(learning_rate: Any, step: int) -> float:
    """The rate the graph's 1-based ``step`` uses: ``schedule(step - 1)``, or a constant."""
    rate = get(learning_rate)
    return float(rate(step - 1)) if isinstance(rate, LearningRateSchedule) else float(rate)


__all__ = [
    "SCHEDULES",
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "get",
    "learning_rate_at",
    "serialize",
]
