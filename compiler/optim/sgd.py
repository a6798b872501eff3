"""SGD with optional (Nesterov) momentum, as Keras 3 defines it.

``m = momentum * m - lr * g``; the parameter moves by ``m`` or, with Nesterov,
by ``momentum * m - lr * g`` (using the updated ``m``). Without momentum: ``p -= lr * g``.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}


def validate(config: dict[str, Any]) -> None:
    """Raises ValueError unless ``momentum`` is in [0, 1]."""
    momentum = config["momentum"]
    if (
        isinstance(momentum, bool)
        or not isinstance(momentum, (int, float))
        or not (0 <= momentum <= 1)
    ):
        raise ValueError(f"`momentum` must be a float between [0, 1]. Received: {momentum!r}")


def slots(config: dict[str, Any]) -> dict[str, float]:
    """Slot names and initial values: a momentum buffer when ``momentum != 0``."""
    return {"sgd_momentum": 0.0} if config["momentum"] != 0 else {}


def update(
    b: GraphBuilder,
    config: dict[str, Any],
    param: ir.Value,
    grad: ir.Value,
    slot: dict[str, ir.Value],
    lr: ir.Value,
    step: ir.Value,
) -> tuple[ir.Value, dict[str, ir.Value]]:
    """One SGD step for one parameter; returns ``(new param, new slots)``."""
    del step
    lr_grad = b.op("Mul", [grad, lr])
    if config["momentum"] == 0:
        return b.op("Sub", [param, lr_grad]), {}
    momentum = const(b, config["momentum"])
    m = b.op("Sub", [b.op("Mul", [slot["sgd_momentum"], momentum]), lr_grad])
    delta = b.op("Sub", [b.op("Mul", [m, momentum]), lr_grad]) if config["nesterov"] else m
    return b.op("Add", [param, delta]), {"sgd_momentum": m}
