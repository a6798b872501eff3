"""Schedule-Free AdamW, as Keras 3 defines it.

Keras starts the ``momentum`` slot (``z``) as a copy of the weight; the slot layout here starts
slots at constants, so the slot starts at 0 and step 1 reads the weight before decay instead
(:data:`STARTS_FROM_PARAM`). With ``t = step`` and ``lr`` scaled by ``min(t / warmup_steps, 1)``:
``v += (g*g - v) * (1 - beta_2)``; ``z -= lr * g / (sqrt(v / (1 - beta_2**t)) + eps)``;
``x = (y - (1 - beta_1) z_old) / beta_1``, ``x' = (1 - 1/t) x + z / t`` and the weight becomes
``y = (1 - beta_1) z + beta_1 x'``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.0025,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "epsilon": 1e-8,
    "warmup_steps": 0,
}
#: The slot that Keras initializes from the weight (read from the weight at step 1).
STARTS_FROM_PARAM = "sfadamw_momentum"


def validate(config: dict[str, Any]) -> None:
    """Schedule-Free AdamW accepts any betas, epsilon and warmup, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """``z`` (the momentum, see the module docstring) and the second moment."""
    del config
    return {"sfadamw_momentum": 0.0, "sfadamw_velocity": 0.0}


def update(b: GraphBuilder, config, param, grad, slot, lr, step) -> tuple[ir.Value, dict]:
    """One step for one parameter; ``slot["param_before_decay"]`` is the weight before weight
    decay (``z``'s value at step 1). Returns ``(new param, new slots)``."""
    one = const(b, 1.0)
    beta_1, beta_2 = config["beta_1"], config["beta_2"]
    if config["warmup_steps"] > 0:
        factor = b.op("Min", [b.op("Div", [step, const(b, config["warmup_steps"])]), one])
        lr = b.op("Mul", [lr, factor])
    first = b.op("Equal", [step, one])
    z_old = b.op("Where", [first, slot["param_before_decay"], slot["sfadamw_momentum"]])
    v_old = slot["sfadamw_velocity"]
    square = b.op("Mul", [grad, grad])
    v = b.op("Add", [v_old, b.op("Mul", [b.op("Sub", [square, v_old]), const(b, 1.0 - beta_2)])])
    correction = b.op("Sub", [one, b.op("Pow", [const(b, beta_2), step])])
    denom = b.op("Add", [b.op("Sqrt", [b.op("Div", [v, correction])]), const(b, config["epsilon"])])
    z = b.op("Sub", [z_old, b.op("Div", [b.op("Mul", [lr, grad]), denom])])
    weight = b.op("Div", [one, step])
    keep = const(b, 1.0 - beta_1)
    x_old = b.op("Div", [b.op("Sub", [param, b.op("Mul", [keep, z_old])]), const(b, beta_1)])
    x_new = b.op(
        "Add", [b.op("Mul", [b.op("Sub", [one, weight]), x_old]), b.op("Mul", [weight, z])]
    )
    y_new = b.op("Add", [b.op("Mul", [keep, z]), b.op("Mul", [const(b, beta_1), x_new])])
    return y_new, {"sfadamw_momentum": z, "sfadamw_velocity": v}
