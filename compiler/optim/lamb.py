"""LAMB (Adam moments with a layer-wise trust ratio), as Keras 3 defines it.

``m``, ``v`` as in Adam; ``update = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + eps)``;
the step ``lr * ratio * update`` uses ``ratio = ||p|| / ||update||`` (1 where either norm is 0).
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}


def validate(config: dict[str, Any]) -> None:
    """LAMB accepts any betas and epsilon, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """First and second moments."""
    del config
    return {"lamb_momentum": 0.0, "lamb_velocity": 0.0}


def _norm(b: GraphBuilder, x: ir.Value) -> ir.Value:
    return b.op("Sqrt", [b.op("ReduceSum", [b.op("Mul", [x, x])], {"keepdims": 0})])


def update(b: GraphBuilder, config, param, grad, slot, lr, step) -> tuple[ir.Value, dict]:
    """One LAMB step for one parameter; returns ``(new param, new slots)``."""
    beta_1, beta_2 = config["beta_1"], config["beta_2"]
    one, zero = const(b, 1.0), const(b, 0.0)
    m_old, v_old = slot["lamb_momentum"], slot["lamb_velocity"]
    m = b.op("Add", [m_old, b.op("Mul", [b.op("Sub", [grad, m_old]), const(b, 1.0 - beta_1)])])
    square = b.op("Mul", [grad, grad])
    v = b.op("Add", [v_old, b.op("Mul", [b.op("Sub", [square, v_old]), const(b, 1.0 - beta_2)])])
    m_hat = b.op("Div", [m, b.op("Sub", [one, b.op("Pow", [const(b, beta_1), step])])])
    v_hat = b.op("Div", [v, b.op("Sub", [one, b.op("Pow", [const(b, beta_2), step])])])
    direction = b.op(
        "Div", [m_hat, b.op("Add", [b.op("Sqrt", [v_hat]), const(b, config["epsilon"])])]
    )
    w_norm, g_norm = _norm(b, param), _norm(b, direction)
    both = b.op("And", [b.op("Greater", [w_norm, zero]), b.op("Greater", [g_norm, zero])])
    safe = b.op("Where", [both, g_norm, one])
    ratio = b.op("Where", [both, b.op("Div", [w_norm, safe]), one])
    new_param = b.op("Sub", [param, b.op("Mul", [b.op("Mul", [ratio, lr]), direction])])
    return new_param, {"lamb_momentum": m, "lamb_velocity": v}
