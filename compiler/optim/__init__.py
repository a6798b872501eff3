"""Optimizer builders: Keras 3 optimizer updates as ONNX nodes inside the step graph.

An optimizer spec is a plain dict of Keras names and hyper-parameters, e.g.
``{"name": "adam", "beta_1": 0.9, "clipnorm": 1.0}``. The learning rate and the iteration count
are graph inputs (``lr``: float32 scalar; ``step``: the 1-based iteration as a float32 scalar) so
that schedules and learning-rate changes never recompile; the host evaluates schedules
(:mod:`compiler.optim.schedules`).

Each update follows Keras' ``BaseOptimizer.apply``: gradients are clipped first (``clipnorm`` per
tensor, ``global_clipnorm`` over all of them, or ``clipvalue``), then ``weight_decay`` (any
optimizer; AdamW defaults it to 0.004) shrinks each parameter by ``param * weight_decay * lr``, then
the optimizer's own rule runs. Optimizer state ("slots") is named ``<param>/<slot>``, e.g.
``dense/kernel/adam_m``.
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder, typed_like
from kgraph.compiler.optim import adagrad, adam, adamw, rmsprop, sgd
from kgraph.compiler.optim._graph import const

OPTIMIZERS: dict[str, ModuleType] = {
    "sgd": sgd,
    "adam": adam,
    "adamw": adamw,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
}
BASE_DEFAULTS: dict[str, Any] = {
    "weight_decay": None,
    "clipnorm": None,
    "clipvalue": None,
    "global_clipnorm": None,
    "exclude_from_weight_decay": None,  # regexes searched in a parameter's own name
    "exclude_from_weight_decay_paths": None,  # exact parameter paths
}
# Keras arguments accepted only at their inert value (features the step graph does not build).
_INERT = {
    "use_ema": False,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_IGNORED = {"name", "ema_momentum", "dtype"}


def resolve_config(spec: dict[str, Any]) -> tuple[ModuleType, dict[str, Any]]:
    """Validates ``spec`` and returns the optimizer module and its full config (defaults filled).

    Raises:
        ValueError: for an unknown optimizer or argument, two clipping arguments, or a feature
            the step graph does not build (EMA, loss scaling, gradient accumulation).
    """
    key = str(spec["name"]).lower()
    if key not in OPTIMIZERS:
        raise ValueError(
            f"Unsupported optimizer. Expected one of {sorted(OPTIMIZERS)}. "
            f"Received: name={spec['name']!r}"
        )
    module = OPTIMIZERS[key]
    defaults = {**BASE_DEFAULTS, **module.DEFAULTS}
    unknown = sorted(set(spec) - set(defaults) - set(_INERT) - _IGNORED)
    if unknown:
        raise ValueError(f"Argument(s) not recognized: {unknown}. Received: spec={spec}")
    for arg, inert in _INERT.items():
        if spec.get(arg, inert) not in (inert, None):
            raise ValueError(
                f"kgraph does not build `{arg}` into the step graph yet. "
                f"Received: {arg}={spec[arg]!r}"
            )
    config = {**defaults, **{k: v for k, v in spec.items() if k in defaults}}
    clips = [k for k in ("clipnorm", "clipvalue", "global_clipnorm") if config[k] is not None]
    if len(clips) > 1:
        raise ValueError(
            f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: {clips}"
        )
    module.validate(config)
    return module, config


def slot_specs(
    spec: dict[str, Any], param_shapes: dict[str, tuple[int, ...]]
) -> dict[str, tuple[tuple[int, ...], str, float]]:
    """The optimizer state: ``{"<param>/<slot>": (shape, "float32", initial value)}``."""
    module, config = resolve_config(spec)
    return {
        f"{param}/{slot}": (tuple(shape), "float32", float(init))
        for param, shape in param_shapes.items()
        for slot, init in module.slots(config).items()
    }


def _clip(b: GraphBuilder, config: dict[str, Any], grads: dict[str, ir.Value]):
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


def _decays(config: dict[str, Any], name: str) -> bool:
    if config["weight_decay"] is None:
        return False
    if name in (config["exclude_from_weight_decay_paths"] or []):
        return False
    own = name.rsplit("/", 1)[-1]  # Keras matches ``variable.name`` (``bias``), not the path
    return not any(re.search(p, own) for p in config["exclude_from_weight_decay"] or [])


def build_updates(
    b: GraphBuilder,
    spec: dict[str, Any],
    params: dict[str, ir.Value],
    grads: dict[str, ir.Value | None],
    slots: dict[str, ir.Value],
    lr: ir.Value,
    step: ir.Value,
) -> tuple[dict[str, ir.Value], dict[str, ir.Value]]:
    """Emits one optimizer step and returns ``(new params, new slots)``.

    Args:
        b: The builder to emit into.
        spec: The optimizer spec (see :func:`resolve_config`).
        params: Current parameter values by path.
        grads: Gradients by parameter path; parameters without a gradient (None or absent)
            are left out of the result, like Keras skips them.
        slots: Current slot values, keyed as :func:`slot_specs` names them.
        lr: Float32 scalar learning rate for this step.
        step: Float32 scalar, the 1-based iteration (Keras' ``iterations + 1``).

    Returns:
        Updated parameters and slots for every parameter that has a gradient.
    """
    module, config = resolve_config(spec)
    grads = {name: g for name, g in grads.items() if g is not None}
    new_params: dict[str, ir.Value] = {}
    new_slots: dict[str, ir.Value] = {}
    with b.scope("optimizer"):
        with b.scope("clip"):
            clipped = _clip(b, config, grads)
        for name, grad in clipped.items():
            param = params[name]
            with b.scope(name):
                if _decays(config, name):
                    wd = const(b, config["weight_decay"])
                    param = b.op("Sub", [param, b.op("Mul", [b.op("Mul", [param, wd]), lr])])
                own = {s: slots[f"{name}/{s}"] for s in module.slots(config)}
                new_param, new_own = module.update(b, config, param, grad, own, lr, step)
            new_params[name] = typed_like(new_param, params[name])
            new_slots.update({f"{name}/{s}": typed_like(v, own[s]) for s, v in new_own.items()})
    return new_params, new_slots


__all__ = ["BASE_DEFAULTS", "OPTIMIZERS", "build_updates", "resolve_config", "slot_specs"]
