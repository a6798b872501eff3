"""Adamax (Adam with the infinity norm), as Keras 3 defines it.

``m += (g - m) * (1 - beta_1)``, ``u = max(beta_2 * u, |g|)`` and
``p -= lr * m / ((1 - beta_1**t) * (u + epsilon))`` with the 1-based ``t = step``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}


def validate(config: dict[str, Any]) -> None:
    """Adamax accepts any betas and epsilon, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """The first moment and the exponentially weighted infinity norm."""
    del config
    return {"adamax_momentum": 0.0, "adamax_norm": 0.0}


def update(b: GraphBuilder, config, param, grad, slot, lr, step) -> tuple[ir.Value, dict]:
    """One Adamax step for one parameter; returns ``(new param, new slots)``."""
    beta_1 = config["beta_1"]
    m_old = slot["adamax_momentum"]
    m = b.op("Add", [m_old, b.op("Mul", [b.op("Sub", [grad, m_old]), const(b, 1.0 - beta_1)])])
    scaled = b.op("Mul", [const(b, config["beta_2"]), slot["adamax_norm"]])
    u = b.op("Max", [scaled, b.op("Abs", [grad])])
    correction = b.op("Sub", [const(b, 1.0), b.op("Pow", [const(b, beta_1), step])])
    denom = b.op("Mul", [correction, b.op("Add", [u, const(b, config["epsilon"])])])
    new_param = b.op("Sub", [param, b.op("Div", [b.op("Mul", [lr, m]), denom])])
    return new_param, {"adamax_momentum": m, "adamax_norm": u}
