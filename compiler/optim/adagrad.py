"""Adagrad, as Keras 3 defines it.

``acc += g*g`` (``acc`` starts at ``initial_accumulator_value``) and
``p -= lr * g / sqrt(acc + epsilon)`` — epsilon inside the square root.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.001,
    "initial_accumulator_value": 0.1,
    "epsilon": 1e-7,
}


def validate(config: dict[str, Any]) -> None:
    """Adagrad accepts any initial value and epsilon, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """Slot names and initial values: the squared-gradient accumulator."""
    return {"adagrad_accumulator": float(config["initial_accumulator_value"])}


def update(
    b: GraphBuilder,
    config: dict[str, Any],
    param: ir.Value,
    grad: ir.Value,
    slot: dict[str, ir.Value],
    lr: ir.Value,
    step: ir.Value,
) -> tuple[ir.Value, dict[str, ir.Value]]:
    """One Adagrad step for one parameter; returns ``(new param, new slots)``."""
    del step
    acc = b.op("Add", [slot["adagrad_accumulator"], b.op("Mul", [grad, grad])])
    denom = b.op("Sqrt", [b.op("Add", [acc, const(b, config["epsilon"])])])
    new_param = b.op("Sub", [param, b.op("Div", [b.op("Mul", [lr, grad]), denom])])
    return new_param, {"adagrad_accumulator": acc}
