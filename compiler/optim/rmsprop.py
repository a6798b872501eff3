"""RMSprop (optionally centered, with momentum), as Keras 3 defines it.

``v = rho * v + (1 - rho) * g*g``; centered also tracks ``a = rho * a + (1 - rho) * g`` and uses
``v - a*a``. The step is ``lr * g / sqrt(v + epsilon)`` — epsilon inside the square root — and
with ``momentum > 0`` it feeds ``mom = momentum * mom + step`` which is subtracted instead.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.001,
    "rho": 0.9,
    "momentum": 0.0,
    "epsilon": 1e-7,
    "centered": False,
}


def validate(config: dict[str, Any]) -> None:
    """RMSprop accepts any rho, momentum and epsilon, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """Slot names and initial values: velocity, plus momentum and average gradient if used."""
    names = {"rmsprop_velocity": 0.0}
    if config["momentum"] > 0:
        names["rmsprop_momentum"] = 0.0
    if config["centered"]:
        names["rmsprop_average_gradient"] = 0.0
    return names


def update(
    b: GraphBuilder,
    config: dict[str, Any],
    param: ir.Value,
    grad: ir.Value,
    slot: dict[str, ir.Value],
    lr: ir.Value,
    step: ir.Value,
) -> tuple[ir.Value, dict[str, ir.Value]]:
    """One RMSprop step for one parameter; returns ``(new param, new slots)``."""
    del step
    rho, keep = const(b, config["rho"]), const(b, 1.0 - config["rho"])
    eps = const(b, config["epsilon"])
    square = b.op("Mul", [grad, grad])
    v = b.op("Add", [b.op("Mul", [rho, slot["rmsprop_velocity"]]), b.op("Mul", [keep, square])])
    new_slots = {"rmsprop_velocity": v}
    if config["centered"]:
        old = slot["rmsprop_average_gradient"]
        avg = b.op("Add", [b.op("Mul", [rho, old]), b.op("Mul", [keep, grad])])
        new_slots["rmsprop_average_gradient"] = avg
        denom = b.op("Add", [b.op("Sub", [v, b.op("Mul", [avg, avg])]), eps])
    else:
        denom = b.op("Add", [v, eps])
    increment = b.op("Div", [b.op("Mul", [lr, grad]), b.op("Sqrt", [denom])])
    if config["momentum"] > 0:
        mom = b.op("Mul", [const(b, config["momentum"]), slot["rmsprop_momentum"]])
        increment = new_slots["rmsprop_momentum"] = b.op("Add", [mom, increment])
    return b.op("Sub", [param, increment]), new_slots
