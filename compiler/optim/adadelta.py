"""Adadelta, as Keras 3 defines it.

``a_g = rho * a_g + (1 - rho) * g*g``, ``delta = -sqrt(a_d + eps) * g / sqrt(a_g + eps)``,
``a_d = rho * a_d + (1 - rho) * delta**2`` and ``p += lr * delta``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}


def validate(config: dict[str, Any]) -> None:
    """Adadelta accepts any rho and epsilon, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """Running averages of squared gradients and of squared updates."""
    del config
    return {"adadelta_accumulated_grad": 0.0, "adadelta_accumulated_delta_var": 0.0}


def update(b: GraphBuilder, config, param, grad, slot, lr, step) -> tuple[ir.Value, dict]:
    """One Adadelta step for one parameter; returns ``(new param, new slots)``."""
    del step
    rho, keep, eps = (
        const(b, config["rho"]),
        const(b, 1.0 - config["rho"]),
        const(b, config["epsilon"]),
    )

    def average(old: ir.Value, x: ir.Value) -> ir.Value:
        return b.op("Add", [b.op("Mul", [rho, old]), b.op("Mul", [keep, b.op("Mul", [x, x])])])

    def rms(x: ir.Value) -> ir.Value:
        return b.op("Sqrt", [b.op("Add", [x, eps])])

    acc_grad = average(slot["adadelta_accumulated_grad"], grad)
    old_delta = slot["adadelta_accumulated_delta_var"]
    delta = b.op("Neg", [b.op("Div", [b.op("Mul", [rms(old_delta), grad]), rms(acc_grad)])])
    acc_delta = average(old_delta, delta)
    new_param = b.op("Add", [param, b.op("Mul", [lr, delta])])
    return new_param, {
        "adadelta_accumulated_grad": acc_grad,
        "adadelta_accumulated_delta_var": acc_delta,
    }
