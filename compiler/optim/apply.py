"""One optimizer step as Keras' ``BaseOptimizer.apply`` orders it, for a resolved config.

Clipping (``clipnorm`` per tensor, ``global_clipnorm`` over all, or ``clipvalue``), then
``weight_decay`` (``param -= param * rate * lr``), then the optimizer's own rule. Around that:
``gradient_accumulation_steps = n`` sums gradients in a ``gradient_accumulator`` slot and applies
their mean only on every n-th step (``step % n == 0``), leaving parameters and slots unchanged on
the others, as Keras on JAX does; ``use_ema`` keeps an ``average`` slot per parameter
(``average = momentum * average + (1 - momentum) * param`` after the update, a copy on the first
step) and, with ``ema_overwrite_frequency = k``, writes it into the parameter every k-th step.
With accumulation, the optimizer's own step count (bias corrections, EMA) counts applied updates,
as Keras' ``iterations`` does, while the learning rate follows every step.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder, typed_like
from kgraph.compiler.optim._graph import const


def param_slots(module: ModuleType, config, name: str, shape: tuple) -> dict[str, tuple]:
    """``{slot: (shape, initial value)}`` of one parameter: the module's own layout
    (``param_slots``) or one slot shaped like the parameter per entry of ``slots``, plus the
    accumulation and EMA slots the base options add."""
    if hasattr(module, "param_slots"):
        own = dict(module.param_slots(config, name, tuple(shape)))
    else:
        own = {s: (tuple(shape), init) for s, init in module.slots(config).items()}
    if config["gradient_accumulation_steps"]:
        own["gradient_accumulator"] = (tuple(shape), 0.0)
    if config["use_ema"]:
        own["average"] = (tuple(shape), 0.0)
    return own


def clip(b: GraphBuilder, config: dict[str, Any], grads: dict[str, ir.Value]):
    """Keras' ``_clip_gradients``: one of per-tensor norm, global norm or value clipping."""
    if config["clipnorm"] and config["clipnorm"] > 0:
        c = const(b, config["clipnorm"])
        out = {}
        for name, g in grads.items():
            with b.scope(name):
                norm = b.op("Sqrt", [b.op("ReduceSum", [b.op("Mul", [g, g])], {"keepdims": 0})])
                out[name] = b.op("Div", [b.op("Mul", [g, c]), b.op("Max", [norm, c])])
        return out
    if config["global_clipnorm"] and config["global_clipnorm"] > 0:
        c = float(config["global_clipnorm"])
        squares = [
            b.op("ReduceSum", [b.op("Mul", [g, g])], {"keepdims": 0}) for g in grads.values()
        ]
        total = squares[0] if len(squares) == 1 else b.op("Sum", squares)
        norm = b.op("Sqrt", [total])
        # c * min(1 / norm, 1 / c), plus (norm - norm) so that an inf/NaN norm gives NaN
        inv = b.op("Min", [b.op("Div", [const(b, 1.0), norm]), const(b, 1.0 / c)])
        scale = b.op("Add", [b.op("Mul", [const(b, c), inv]), b.op("Sub", [norm, norm])])
        return {name: b.op("Mul", [g, scale]) for name, g in grads.items()}
    if config["clipvalue"] and config["clipvalue"] > 0:
        v = float(config["clipvalue"])
        lo, hi = const(b, -v), const(b, v)
        return {name: b.op("Clip", [g, lo, hi]) for name, g in grads.items()}
    return dict(grads)


def decay_rate(module: ModuleType, config: dict[str, Any], name: str, shape: tuple):
    """The weight-decay rate of one parameter, or None (no rate, or excluded by name)."""
    if hasattr(module, "decay_rate"):
        rate = module.decay_rate(config, name, tuple(shape))
    else:
        rate = config["weight_decay"]
    if rate is None or name in (config["exclude_from_weight_decay_paths"] or []):
        return None
    own = name.rsplit("/", 1)[-1]  # Keras matches ``variable.name`` (``bias``), not the path
    excluded = any(re.search(p, own) for p in config["exclude_from_weight_decay"] or [])
    return None if excluded else rate


def _every(b: GraphBuilder, step: ir.Value, period: int) -> ir.Value:
    """A bool scalar: ``step % period == 0``."""
    return b.op("Equal", [b.op("Mod", [step, const(b, float(period))], {"fmod": 1}), const(b, 0.0)])


def apply_updates(b, module, config, params, grads, slots, lr, step):
    """Emits one step for every parameter in ``grads``; returns ``(new params, new slots)``.

    ``slots`` maps ``"<param>/<slot>"`` to values laid out by :func:`param_slots`."""
    n = config["gradient_accumulation_steps"]
    if n:
        is_update = _every(b, step, n)
        # Keras' ``iterations`` counts applied updates, ``floor((step - 1) / n)``: the rules and
        # the EMA read it; the learning rate (an input) follows the real step count.
        done = b.op(
            "Floor", [b.op("Div", [b.op("Sub", [step, const(b, 1.0)]), const(b, float(n))])]
        )
        step = b.op("Add", [done, const(b, 1.0)])
        acc = {name: slots[f"{name}/gradient_accumulator"] for name in grads}
        summed = {name: b.op("Add", [g, acc[name]]) for name, g in grads.items()}
        grads = {name: b.op("Div", [s, const(b, float(n))]) for name, s in summed.items()}
    with b.scope("clip"):
        clipped = clip(b, config, grads)
    new_params: dict[str, ir.Value] = {}
    new_slots: dict[str, ir.Value] = {}
    for name, grad in clipped.items():
        param = params[name]
        shape = tuple(param.shape)
        with b.scope(name):
            rate = decay_rate(module, config, name, shape)
            if rate is not None:
                param = b.op(
                    "Sub", [param, b.op("Mul", [b.op("Mul", [param, const(b, rate)]), lr])]
                )
            layout = param_slots(module, config, name, shape)
            own = {
                s: slots[f"{name}/{s}"]
                for s in layout
                if s not in ("gradient_accumulator", "average")
            }
            if hasattr(module, "STARTS_FROM_PARAM"):  # a slot Keras starts as the weight
                own = {**own, "param_before_decay": params[name]}
            if hasattr(module, "update_param"):
                new_param, new_own = module.update_param(
                    b, config, shape, param, grad, own, lr, step
                )
            else:
                new_param, new_own = module.update(b, config, param, grad, own, lr, step)
            own.pop("param_before_decay", None)
            if n:
                new_param = b.op("Where", [is_update, new_param, params[name]])
                new_own = {s: b.op("Where", [is_update, v, own[s]]) for s, v in new_own.items()}
                reset = b.op("Where", [is_update, const(b, 0.0), summed[name]])
                new_own["gradient_accumulator"] = reset
            if config["use_ema"]:
                new_param, new_own["average"] = _ema(
                    b, config, new_param, slots[f"{name}/average"], step
                )
        new_params[name] = typed_like(new_param, params[name])
        new_slots.update(
            {f"{name}/{s}": typed_like(v, slots[f"{name}/{s}"]) for s, v in new_own.items()}
        )
    return new_params, new_slots


def _ema(b: GraphBuilder, config, param: ir.Value, average: ir.Value, step: ir.Value):
    """The EMA update after a step, and the parameter (overwritten every k-th step if asked)."""
    first = b.op("Equal", [step, const(b, 1.0)])
    momentum = b.op("Where", [first, const(b, 0.0), const(b, config["ema_momentum"])])
    keep = b.op("Sub", [const(b, 1.0), momentum])
    new_average = b.op("Add", [b.op("Mul", [momentum, average]), b.op("Mul", [keep, param])])
    if config["ema_overwrite_frequency"]:
        overwrite = _every(b, step, int(config["ema_overwrite_frequency"]))
        param = b.op("Where", [overwrite, new_average, param])
    return param, new_average
