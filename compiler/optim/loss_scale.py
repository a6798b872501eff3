"""LossScaleOptimizer: Keras' dynamic loss scaling around an inner optimizer.

Keras multiplies the loss by ``dynamic_scale`` and divides the gradients by it before the inner
optimizer runs; the step graph does the same (``StepGraph(loss_scale=True)``: the kgraph front
end asks for it whenever the optimizer is this wrapper), so float16 activations of a
``mixed_float16`` model keep small gradients representable. The check here forms the scaled
gradients again as ``grad * scale`` (exact for the power-of-two scales used; a gradient that
overflowed in the scaled backward pass is already inf) and checks them: when all are finite the
inner optimizer updates with ``grad`` and ``step_counter`` counts up (after
``dynamic_growth_steps`` such steps the scale doubles); otherwise nothing is updated, the scale
halves and the counter restarts. Scale, counter and the inner optimizer's own iteration count
(Keras counts only applied steps) are scalar state named ``loss_scale/...``. The host's
learning-rate schedule still reads the outer step count; the two differ only after a skipped
step.
"""

from __future__ import annotations

from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder, typed_like
from kgraph.compiler.optim._graph import const

NAME = "loss_scale_optimizer"
DEFAULTS: dict[str, Any] = {"initial_scale": 2.0**15, "dynamic_growth_steps": 2000}
SCALE, COUNTER, INNER_STEP = (
    "loss_scale/dynamic_scale",
    "loss_scale/step_counter",
    "loss_scale/iterations",
)


def resolve(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(inner spec, own config)``; raises ValueError for unknown or base-optimizer arguments."""
    if not isinstance(spec.get("inner_optimizer"), dict):
        raise ValueError(
            "LossScaleOptimizer needs an `inner_optimizer` spec. "
            f"Received: inner_optimizer={spec.get('inner_optimizer')!r}"
        )
    extra = sorted(set(spec) - {"name", "inner_optimizer", *DEFAULTS})
    if extra:
        raise ValueError(f"LossScaleOptimizer does not support arguments: {extra}.")
    config = {**DEFAULTS, **{k: spec[k] for k in DEFAULTS if k in spec}}
    return dict(spec["inner_optimizer"]), config


def state_specs(config: dict[str, Any]) -> dict[str, tuple[tuple, str, float]]:
    """The scalar state the wrapper adds to the inner optimizer's slots."""
    return {
        SCALE: ((), "float32", float(config["initial_scale"])),
        COUNTER: ((), "float32", 0.0),
        INNER_STEP: ((), "float32", 0.0),
    }


def _all_finite(b: GraphBuilder, grads: dict[str, ir.Value], scale: ir.Value) -> ir.Value:
    checks = []
    for g in grads.values():
        scaled = b.op("Mul", [g, scale])
        bad = b.op("Or", [b.op("IsNaN", [scaled]), b.op("IsInf", [scaled])])
        checks.append(
            b.op(
                "Not",
                [
                    b.op(
                        "Cast",
                        [b.op("ReduceMax", [b.op("Cast", [bad], {"to": 1})], {"keepdims": 0})],
                        {"to": 9},
                    )
                ],
            )
        )
    finite = checks[0]
    for check in checks[1:]:
        finite = b.op("And", [finite, check])
    return finite


def build(b: GraphBuilder, spec, params, grads, slots, lr, inner_build):
    """Emits the wrapped step; ``inner_build(b, inner_spec, params, grads, slots, lr, step)``
    emits the inner optimizer's. Returns ``(new params, new slots)``."""
    inner_spec, config = resolve(spec)
    grads = {name: g for name, g in grads.items() if g is not None}
    scale, counter, inner_iter = slots[SCALE], slots[COUNTER], slots[INNER_STEP]
    with b.scope("loss_scale"):
        finite = _all_finite(b, grads, scale)
        one = const(b, 1.0)
        inner_step = b.op("Add", [inner_iter, one])
    inner_slots = {k: v for k, v in slots.items() if k not in (SCALE, COUNTER, INNER_STEP)}
    new_params, new_slots = inner_build(b, inner_spec, params, grads, inner_slots, lr, inner_step)
    with b.scope("loss_scale"):
        for name, value in new_params.items():
            new_params[name] = typed_like(
                b.op("Where", [finite, value, params[name]]), params[name]
            )
        for name, value in new_slots.items():
            new_slots[name] = typed_like(b.op("Where", [finite, value, slots[name]]), slots[name])
        grow = b.op("Equal", [counter, const(b, float(config["dynamic_growth_steps"] - 1))])
        zero = const(b, 0.0)
        ok_scale = b.op("Where", [grow, b.op("Mul", [scale, const(b, 2.0)]), scale])
        ok_counter = b.op("Where", [grow, zero, b.op("Add", [counter, one])])
        new_slots[SCALE] = typed_like(
            b.op("Where", [finite, ok_scale, b.op("Mul", [scale, const(b, 0.5)])]), scale
        )
        new_slots[COUNTER] = typed_like(b.op("Where", [finite, ok_counter, zero]), counter)
        new_slots[INNER_STEP] = typed_like(
            b.op("Where", [finite, inner_step, inner_iter]), inner_iter
        )
    return new_params, new_slots
