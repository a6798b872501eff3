"""Lion (sign of an interpolated momentum), as Keras 3 defines it.

``p -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then ``m = beta_2 * m + (1 - beta_2) * g``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99}


def validate(config: dict[str, Any]) -> None:
    """Raises ValueError unless ``0 < beta_1 <= 1`` (Keras: else it degenerates to SignSGD)."""
    beta_1 = config["beta_1"]
    if beta_1 <= 0 or beta_1 > 1:
        raise ValueError(
            "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
            f"degenerates to SignSGD. Received: beta_1={beta_1}."
        )


def slots(config: dict[str, Any]) -> dict[str, float]:
    """One momentum."""
    del config
    return {"lion_momentum": 0.0}


def _mix(b: GraphBuilder, m: ir.Value, g: ir.Value, beta: float) -> ir.Value:
    return b.op("Add", [b.op("Mul", [m, const(b, beta)]), b.op("Mul", [g, const(b, 1.0 - beta)])])


def update(b: GraphBuilder, config, param, grad, slot, lr, step) -> tuple[ir.Value, dict]:
    """One Lion step for one parameter; returns ``(new param, new slots)``."""
    del step
    m = slot["lion_momentum"]
    direction = b.op("Sign", [_mix(b, m, grad, config["beta_1"])])
    new_param = b.op("Sub", [param, b.op("Mul", [lr, direction])])
    return new_param, {"lion_momentum": _mix(b, m, grad, config["beta_2"])}
