"""Adafactor, as Keras 3 defines it.

With ``t = step``: ``rho_t = min(lr, 1 / sqrt(t))``, ``alpha_t = max(epsilon_2, rms(p)) * rho_t``,
``beta_2_t = 1 - t**beta_2_decay`` and ``g2 = g*g + epsilon_1``. A parameter of rank >= 2 keeps
factored second moments: ``r`` (mean of ``g2`` over the last axis) and ``c`` (over the one before),
and ``v = r / mean(r) ⊗ c``; a smaller one keeps the full ``v``. The update
``u = g / sqrt(v)`` is scaled down to ``rms(u) <= clip_threshold``, and ``p -= alpha_t * u``.
(Keras also caps ``lr`` at ``1 / sqrt(t)`` when ``relative_step``; ``rho_t`` already does.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim._graph import const

DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.001,
    "beta_2_decay": -0.8,
    "epsilon_1": 1e-30,
    "epsilon_2": 1e-3,
    "clip_threshold": 1.0,
    "relative_step": True,
}


def validate(config: dict[str, Any]) -> None:
    """Adafactor accepts any decay, epsilons and threshold, like Keras."""
    del config


def slots(config: dict[str, Any]) -> dict[str, float]:
    """All slot names (which ones a parameter gets depends on its rank: :func:`param_slots`)."""
    del config
    return {"adafactor_r": 0.0, "adafactor_c": 0.0, "adafactor_v": 0.0}


def param_slots(config: dict[str, Any], name: str, shape: tuple) -> dict[str, tuple]:
    """Rank >= 2: row and column statistics plus ``v``; otherwise ``v`` alone."""
    del config, name
    shape = tuple(shape)
    if len(shape) < 2:
        return {"adafactor_v": (shape, 0.0)}
    return {
        "adafactor_r": (shape[:-1], 0.0),
        "adafactor_c": (shape[:-2] + shape[-1:], 0.0),
        "adafactor_v": (shape, 0.0),
    }


def _mean(b: GraphBuilder, x: ir.Value, axis: int | None = None, keepdims: bool = False):
    keep = {"keepdims": int(keepdims)}
    if axis is None:
        return b.op("ReduceMean", [x], keep)
    if b.opset >= 18:
        return b.op("ReduceMean", [x, b.constant(np.asarray([axis], np.int64))], keep)
    return b.op("ReduceMean", [x], {**keep, "axes": [axis]})


def _rms(b: GraphBuilder, x: ir.Value) -> ir.Value:
    return b.op("Sqrt", [_mean(b, b.op("Mul", [x, x]))])


def _average(b: GraphBuilder, beta: ir.Value, old: ir.Value, new: ir.Value) -> ir.Value:
    keep = b.op("Sub", [const(b, 1.0), beta])
    return b.op("Add", [b.op("Mul", [beta, old]), b.op("Mul", [keep, new])])


def update_param(b: GraphBuilder, config, shape, param, grad, slot, lr, step):
    """One Adafactor step for one parameter of static ``shape``; returns
    ``(new param, new slots)``. Axes are written non-negative (known rank)."""
    rank = len(shape)
    one = const(b, 1.0)
    rho = b.op("Min", [lr, b.op("Div", [one, b.op("Sqrt", [step])])])
    alpha = b.op("Mul", [b.op("Max", [const(b, config["epsilon_2"]), _rms(b, param)]), rho])
    g2 = b.op("Add", [b.op("Mul", [grad, grad]), const(b, config["epsilon_1"])])
    beta = b.op("Sub", [one, b.op("Pow", [step, const(b, config["beta_2_decay"])])])
    new_slots = {}
    if "adafactor_r" in slot:
        r = new_slots["adafactor_r"] = _average(
            b, beta, slot["adafactor_r"], _mean(b, g2, rank - 1)
        )
        c = new_slots["adafactor_c"] = _average(
            b, beta, slot["adafactor_c"], _mean(b, g2, rank - 2)
        )
        ratio = b.op("Div", [r, _mean(b, r, rank - 2, keepdims=True)])
        # Reshape, not Unsqueeze: onnx's data propagation mis-infers Unsqueeze -> Mul here
        row = b.op("Reshape", [ratio, b.constant(np.asarray([*shape[:-1], 1], np.int64))])
        col_shape = [*shape[:-2], 1, shape[-1]]
        col = b.op("Reshape", [c, b.constant(np.asarray(col_shape, np.int64))])
        v = b.op("Mul", [row, col])
    else:
        v = _average(b, beta, slot["adafactor_v"], g2)
    new_slots["adafactor_v"] = v
    u = b.op("Div", [grad, b.op("Sqrt", [v])])
    scale = b.op("Max", [one, b.op("Div", [_rms(b, u), const(b, config["clip_threshold"])])])
    new_param = b.op("Sub", [param, b.op("Mul", [alpha, b.op("Div", [u, scale])])])
    return new_param, new_slots
