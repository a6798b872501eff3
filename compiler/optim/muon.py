"""Muon (momentum orthogonalized by a Newton-Schulz iteration), as Keras 3 defines it.

A 2-D parameter (not an embedding, not matched by ``exclude_layers``) follows Muon:
``m = g + momentum * m``, ``d = g + momentum * m`` (Nesterov) or ``m``, then ``ns_steps`` rounds of
the quintic Newton-Schulz iteration on ``d / (||d|| + 1e-7)`` (transposed first when it has more
rows than columns): ``A = X Xᵀ``, ``X = a X + (b A + c A A) X`` — a few MatMuls per round — and
``p -= lr * X * sqrt(max(rows, cols)) * rms_rate``. Every other parameter follows AdamW with
``lr * adam_lr_ratio`` and ``adam_weight_decay``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.001,
    "adam_beta_1": 0.9,
    "adam_beta_2": 0.999,
    "adam_weight_decay": 0.004,
    "epsilon": 1e-7,
    "weight_decay": 0.004,
    "exclude_layers": None,
    "exclude_embeddings": True,
    "muon_a": 3.4445,
    "muon_b": -4.7750,
    "muon_c": 2.0315,
    "adam_lr_ratio": 1,
    "momentum": 0.95,
    "ns_steps": 5,
    "nesterov": True,
    "rms_rate": 0.2,
}


def validate(config: dict[str, Any]) -> None:
    """Muon accepts any coefficients, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """All slot names: the momentum, and the velocity of AdamW-updated parameters."""
    del config
    return {"muon_momentum": 0.0, "muon_velocity": 0.0}


def uses_adam(config: dict[str, Any], name: str, shape: tuple) -> bool:
    """Keras' rule: AdamW for non-2-D parameters, embeddings and ``exclude_layers`` matches."""
    if len(shape) != 2:
        return True
    if config["exclude_embeddings"] and "embedding" in name.lower():
        return True
    return any(re.search(k, name) for k in config["exclude_layers"] or [])


def param_slots(config: dict[str, Any], name: str, shape: tuple) -> dict[str, tuple]:
    """A momentum for every parameter; a velocity for the AdamW-updated ones."""
    if uses_adam(config, name, shape):
        return {"muon_momentum": (shape, 0.0), "muon_velocity": (shape, 0.0)}
    return {"muon_momentum": (shape, 0.0)}


def decay_rate(config: dict[str, Any], name: str, shape: tuple):
    """``adam_weight_decay`` for AdamW-updated parameters, ``weight_decay`` for the others."""
    return config["adam_weight_decay" if uses_adam(config, name, shape) else "weight_decay"]


def _orthogonalize(b: GraphBuilder, config, x: ir.Value, shape: tuple) -> ir.Value:
    tall = shape[0] > shape[1]
    if tall:
        x = b.op("Transpose", [x], {"perm": [1, 0]})
    norm = b.op("Sqrt", [b.op("ReduceSum", [b.op("Mul", [x, x])], {"keepdims": 1})])
    x = b.op("Div", [x, b.op("Add", [norm, const(b, 1e-7)])])
    ca, cb, cc = (const(b, config[k]) for k in ("muon_a", "muon_b", "muon_c"))
    for _ in range(int(config["ns_steps"])):
        a = b.op("MatMul", [x, b.op("Transpose", [x], {"perm": [1, 0]})])
        poly = b.op("Add", [b.op("Mul", [cb, a]), b.op("MatMul", [b.op("Mul", [cc, a]), a])])
        x = b.op("Add", [b.op("Mul", [ca, x]), b.op("MatMul", [poly, x])])
    return b.op("Transpose", [x], {"perm": [1, 0]}) if tall else x


def _adam(b: GraphBuilder, config, param, grad, slot, lr, step):
    beta_1, beta_2 = config["adam_beta_1"], config["adam_beta_2"]
    one = const(b, 1.0)
    lr = b.op("Mul", [lr, const(b, config["adam_lr_ratio"])])
    root = b.op("Sqrt", [b.op("Sub", [one, b.op("Pow", [const(b, beta_2), step])])])
    alpha = b.op(
        "Div", [b.op("Mul", [lr, root]), b.op("Sub", [one, b.op("Pow", [const(b, beta_1), step])])]
    )
    m_old, v_old = slot["muon_momentum"], slot["muon_velocity"]
    m = b.op("Add", [m_old, b.op("Mul", [b.op("Sub", [grad, m_old]), const(b, 1.0 - beta_1)])])
    square = b.op("Mul", [grad, grad])
    v = b.op("Add", [v_old, b.op("Mul", [b.op("Sub", [square, v_old]), const(b, 1.0 - beta_2)])])
    denom = b.op("Add", [b.op("Sqrt", [v]), const(b, config["epsilon"])])
    new_param = b.op("Sub", [param, b.op("Div", [b.op("Mul", [m, alpha]), denom])])
    return new_param, {"muon_momentum": m, "muon_velocity": v}


def update_param(b: GraphBuilder, config, shape, param, grad, slot, lr, step):
    """One Muon (or AdamW) step for one parameter of static ``shape``."""
    if "muon_velocity" in slot:
        return _adam(b, config, param, grad, slot, lr, step)
    momentum = const(b, config["momentum"])
    m = b.op("Add", [grad, b.op("Mul", [slot["muon_momentum"], momentum])])
    direction = b.op("Add", [grad, b.op("Mul", [momentum, m])]) if config["nesterov"] else m
    ortho = _orthogonalize(b, config, direction, tuple(shape))
    step_size = b.op("Mul", [lr, ortho])
    if config["rms_rate"] is not None:
        factor = math.sqrt(max(shape[0], shape[1])) * config["rms_rate"]
        step_size = b.op("Mul", [step_size, const(b, factor)])
    return b.op("Sub", [param, step_size]), {"muon_momentum": m}
