"""Nadam (Adam with Nesterov momentum), as Keras 3 defines it.

With ``t = step`` (1-based), ``u_t = beta_1 * (1 - 0.5 * 0.96**t)`` and the running product
``u_prod = prod(u_1..u_t)`` (Keras keeps it as one optimizer variable; here each parameter carries
an identical scalar copy, ``nadam_u_product``, so the per-parameter slot layout holds it):
``m_hat = u_{t+1} m / (1 - u_prod u_{t+1}) + (1 - u_t) g / (1 - u_prod)``,
``v_hat = v / (1 - beta_2**t)`` and ``p -= lr * m_hat / (sqrt(v_hat) + epsilon)``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}


def validate(config: dict[str, Any]) -> None:
    """Nadam accepts any betas and epsilon, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """Moments, and the momentum-schedule product (shape ``()``, see :func:`param_slots`)."""
    del config
    return {"nadam_momentum": 0.0, "nadam_velocity": 0.0, "nadam_u_product": 1.0}


def param_slots(config: dict[str, Any], name: str, shape: tuple) -> dict[str, tuple]:
    """The moments are shaped like the parameter; the product is a scalar."""
    del name
    return {s: (() if s == "nadam_u_product" else shape, v) for s, v in slots(config).items()}


def _u(b: GraphBuilder, beta_1: float, t: ir.Value) -> ir.Value:
    decay = b.op("Pow", [const(b, 0.96), t])
    return b.op(
        "Mul", [const(b, beta_1), b.op("Sub", [const(b, 1.0), b.op("Mul", [const(b, 0.5), decay])])]
    )


def update(b: GraphBuilder, config, param, grad, slot, lr, step) -> tuple[ir.Value, dict]:
    """One Nadam step for one parameter; returns ``(new param, new slots)``."""
    beta_1, beta_2 = config["beta_1"], config["beta_2"]
    one = const(b, 1.0)
    u_t = _u(b, beta_1, step)
    u_next = _u(b, beta_1, b.op("Add", [step, one]))
    u_prod = b.op("Mul", [slot["nadam_u_product"], u_t])
    u_prod_next = b.op("Mul", [u_prod, u_next])
    m_old, v_old = slot["nadam_momentum"], slot["nadam_velocity"]
    m = b.op("Add", [m_old, b.op("Mul", [b.op("Sub", [grad, m_old]), const(b, 1.0 - beta_1)])])
    square = b.op("Mul", [grad, grad])
    v = b.op("Add", [v_old, b.op("Mul", [b.op("Sub", [square, v_old]), const(b, 1.0 - beta_2)])])
    m_hat = b.op(
        "Add",
        [
            b.op("Div", [b.op("Mul", [u_next, m]), b.op("Sub", [one, u_prod_next])]),
            b.op("Div", [b.op("Mul", [b.op("Sub", [one, u_t]), grad]), b.op("Sub", [one, u_prod])]),
        ],
    )
    v_hat = b.op("Div", [v, b.op("Sub", [one, b.op("Pow", [const(b, beta_2), step])])])
    denom = b.op("Add", [b.op("Sqrt", [v_hat]), const(b, config["epsilon"])])
    new_param = b.op("Sub", [param, b.op("Div", [b.op("Mul", [m_hat, lr]), denom])])
    return new_param, {"nadam_momentum": m, "nadam_velocity": v, "nadam_u_product": u_prod}
