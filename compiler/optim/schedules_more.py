"""The rest of Keras 3's learning-rate schedules: polynomial, inverse-time and cosine decay with
warm restarts (SGDR), evaluated on the host like :mod:`compiler.optim.schedules`, plus Keras'
``serialize`` / ``deserialize``."""

from __future__ import annotations

import math
from typing import Any

from kgraph.compiler.optim.schedules import LearningRateSchedule


def _check_positive(name: str, value) -> None:
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``; the step stops at
    ``decay_steps``, or with ``cycle`` the horizon grows to the next multiple of ``decay_steps``.

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive number of steps to reach ``end_learning_rate``.
        end_learning_rate: The final rate.
        power: The polynomial's power.
        cycle: Whether to restart past ``decay_steps`` with a longer horizon.
        name: Name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: int) -> float:
        horizon = float(self.decay_steps)
        if self.cycle:
            horizon *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, self.decay_steps)
        fraction = (1.0 - step / horizon) ** self.power
        end = self.end_learning_rate
        return float((self.initial_learning_rate - end) * fraction + end)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial / (1 + decay_rate * step / decay_steps)`` (the ratio floored with staircase).

    Args:
        initial_learning_rate: The rate at step 0.
        decay_steps: Positive number of steps per decay unit.
        decay_rate: The decay rate.
        staircase: Whether to decay in discrete intervals.
        name: Name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate / (1.0 + self.decay_rate * p))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): period ``i`` lasts
    ``first_decay_steps * t_mul**i`` steps and starts from ``initial * m_mul**i``; each period
    decays to ``alpha`` times its start.

    Args:
        initial_learning_rate: The rate at step 0.
        first_decay_steps: Positive length of the first period.
        t_mul: Factor by which each period is longer than the previous one.
        m_mul: Factor by which each period starts lower than the previous one.
        alpha: Final fraction of each period's starting rate.
        name: Name of the schedule.
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        _check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def _period(self, fraction: float) -> tuple[float, float]:
        """(index of the current period, fraction of it completed)."""
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            return restart, fraction - restart
        restart = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
        done = (1.0 - self.t_mul**restart) / (1.0 - self.t_mul)
        return restart, (fraction - done) / self.t_mul**restart

    def __call__(self, step: int) -> float:
        restart, fraction = self._period(step / self.first_decay_steps)
        cosine = 0.5 * self.m_mul**restart * (1.0 + math.cos(math.pi * fraction))
        return float(self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """A schedule as Keras serializes it: ``{"module", "class_name", "config",
    "registered_name"}``."""
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise ValueError(
            "Expected a `LearningRateSchedule`. "
            f"Received: learning_rate_schedule={learning_rate_schedule!r}"
        )
    return {
        "module": "keras.optimizers.schedules",
        "class_name": type(learning_rate_schedule).__name__,
        "config": learning_rate_schedule.get_config(),
        "registered_name": None,
    }


def deserialize(config: dict[str, Any], custom_objects=None) -> LearningRateSchedule:
    """A schedule from :func:`serialize`'s output (or ``{"class_name", "config"}``);
    ``custom_objects`` maps names of user schedule classes to the classes."""
    from kgraph.compiler.optim.schedules import SCHEDULES

    known = {**SCHEDULES, **(custom_objects or {})}
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in known:
        raise ValueError(
            f"Could not interpret learning rate schedule: {config!r}. "
            f"Known schedules: {sorted(SCHEDULES)}."
        )
    return known[name].from_config(config.get("config", {}))
