"""Adam (optionally AMSGrad), as Keras 3 defines it.

With ``t = step`` (1-based): ``m += (g - m) * (1 - beta_1)``, ``v += (g*g - v) * (1 - beta_2)``,
``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)`` and
``p -= m * alpha / (sqrt(v) + epsilon)`` — epsilon is added to ``sqrt(v)``, unscaled by the bias
correction. AMSGrad divides by ``sqrt(max(v_hat, v))`` and keeps that maximum as ``adam_vhat``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.001,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "epsilon": 1e-7,
    "amsgrad": False,
}


def validate(config: dict[str, Any]) -> None:
    """Adam accepts any betas and epsilon, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """Slot names and initial values: first and second moments (and their max for AMSGrad)."""
    names = {"adam_m": 0.0, "adam_v": 0.0}
    if config["amsgrad"]:
        names["adam_vhat"] = 0.0
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
    """One Adam step for one parameter; returns ``(new param, new slots)``."""
    beta_1, beta_2 = config["beta_1"], config["beta_2"]
    one = const(b, 1.0)
    beta_1_power = b.op("Pow", [const(b, beta_1), step])
    beta_2_power = b.op("Pow", [const(b, beta_2), step])
    root = b.op("Sqrt", [b.op("Sub", [one, beta_2_power])])
    alpha = b.op("Div", [b.op("Mul", [lr, root]), b.op("Sub", [one, beta_1_power])])
    m_old, v_old = slot["adam_m"], slot["adam_v"]
    m = b.op("Add", [m_old, b.op("Mul", [b.op("Sub", [grad, m_old]), const(b, 1.0 - beta_1)])])
    square = b.op("Mul", [grad, grad])
    v = b.op("Add", [v_old, b.op("Mul", [b.op("Sub", [square, v_old]), const(b, 1.0 - beta_2)])])
    new_slots = {"adam_m": m, "adam_v": v}
    denom_v = v
    if config["amsgrad"]:
        denom_v = new_slots["adam_vhat"] = b.op("Max", [slot["adam_vhat"], v])
    denom = b.op("Add", [b.op("Sqrt", [denom_v]), const(b, config["epsilon"])])
    new_param = b.op("Sub", [param, b.op("Div", [b.op("Mul", [m, alpha]), denom])])
    return new_param, new_slots
