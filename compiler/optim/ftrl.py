"""FTRL-Proximal, as Keras 3 defines it.

With ``n`` the accumulator and ``z`` the linear term: ``n' = n + g*g``;
``z += g + 2 * l2_shrinkage * p - (n'**(-power) - n**(-power)) / lr * p``;
``p = (clip(z, -l1, l1) - z) / (n'**(-power) / lr + 2 * (l2 + beta / (2 * lr)))``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.001,
    "learning_rate_power": -0.5,
    "initial_accumulator_value": 0.1,
    "l1_regularization_strength": 0.0,
    "l2_regularization_strength": 0.0,
    "l2_shrinkage_regularization_strength": 0.0,
    "beta": 0.0,
}


def validate(config: dict[str, Any]) -> None:
    """Keras' checks: a non-positive power, non-negative accumulator and strengths."""
    if config["initial_accumulator_value"] < 0.0:
        raise ValueError(
            "`initial_accumulator_value` needs to be positive or zero. Received: "
            f"initial_accumulator_value={config['initial_accumulator_value']}."
        )
    if config["learning_rate_power"] > 0.0:
        raise ValueError(
            "`learning_rate_power` needs to be negative or zero. Received: "
            f"learning_rate_power={config['learning_rate_power']}."
        )
    for key in (
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
    ):
        if config[key] < 0.0:
            raise ValueError(
                f"`{key}` needs to be positive or zero. Received: {key}={config[key]}."
            )


def slots(config: dict[str, Any]) -> dict[str, float]:
    """The squared-gradient accumulator (from ``initial_accumulator_value``) and the linear term."""
    return {"ftrl_accumulator": float(config["initial_accumulator_value"]), "ftrl_linear": 0.0}


def update(b: GraphBuilder, config, param, grad, slot, lr, step) -> tuple[ir.Value, dict]:
    """One FTRL step for one parameter; returns ``(new param, new slots)``."""
    del step
    power = const(b, -config["learning_rate_power"])
    accum = slot["ftrl_accumulator"]
    new_accum = b.op("Add", [accum, b.op("Mul", [grad, grad])])
    new_root, old_root = b.op("Pow", [new_accum, power]), b.op("Pow", [accum, power])
    shrink = const(b, 2.0 * config["l2_shrinkage_regularization_strength"])
    grad_to_use = b.op("Add", [grad, b.op("Mul", [shrink, param])])
    sigma = b.op("Div", [b.op("Sub", [new_root, old_root]), lr])
    linear = b.op(
        "Add", [slot["ftrl_linear"], b.op("Sub", [grad_to_use, b.op("Mul", [sigma, param])])]
    )
    l2 = b.op(
        "Add",
        [
            const(b, config["l2_regularization_strength"]),
            b.op("Div", [const(b, config["beta"] / 2.0), lr]),
        ],
    )
    quadratic = b.op("Add", [b.op("Div", [new_root, lr]), b.op("Mul", [const(b, 2.0), l2])])
    l1 = config["l1_regularization_strength"]
    clipped = b.op("Clip", [linear, const(b, -l1), const(b, l1)])
    new_param = b.op("Div", [b.op("Sub", [clipped, linear]), quadratic])
    return new_param, {"ftrl_accumulator": new_accum, "ftrl_linear": linear}
