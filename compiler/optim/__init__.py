"""Optimizer builders: Keras 3 optimizer updates as ONNX nodes inside the step graph.

An optimizer spec is a plain dict of Keras names and hyper-parameters, e.g.
``{"name": "adam", "beta_1": 0.9, "clipnorm": 1.0}``. The learning rate and the iteration count
are graph inputs (``lr``: float32 scalar; ``step``: the 1-based iteration as a float32 scalar) so
that schedules and learning-rate changes never recompile; the host evaluates schedules
(:mod:`compiler.optim.schedules`).

Each update follows Keras' ``BaseOptimizer.apply`` (:mod:`compiler.optim.apply`): gradients are
clipped, ``weight_decay`` (any optimizer; AdamW defaults it to 0.004) shrinks each parameter by
``param * weight_decay * lr``, then the optimizer's own rule runs; gradient accumulation and EMA
wrap that. Optimizer state ("slots") is named ``<param>/<slot>``, e.g. ``dense/kernel/adam_m``.
``{"name": "loss_scale_optimizer", "inner_optimizer": {...}}`` wraps another spec
(:mod:`compiler.optim.loss_scale`); ``{"name": "multi_optimizer", ...}`` routes weights to
several (:mod:`compiler.optim.multi`).

An optimizer module has ``DEFAULTS``, ``validate(config)``, ``slots(config)`` (slot -> initial
value, each shaped like its parameter) and ``update(b, config, param, grad, slots, lr, step)``;
optionally ``param_slots(config, name, shape)`` for another layout, ``decay_rate(config, name,
shape)`` for a per-parameter decay and ``update_param(...)`` (``update`` with the static shape).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim import (
    adadelta,
    adafactor,
    adagrad,
    adam,
    adamax,
    adamw,
    ftrl,
    lamb,
    lion,
    loss_scale,
    multi,
    muon,
    nadam,
    rmsprop,
    schedule_free_adamw,
    sgd,
)
from kgraph.compiler.optim.apply import apply_updates, param_slots

OPTIMIZERS: dict[str, ModuleType] = {
    "sgd": sgd,
    "adam": adam,
    "adamw": adamw,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
    "adamax": adamax,
    "nadam": nadam,
    "lion": lion,
    "adadelta": adadelta,
    "ftrl": ftrl,
    "adafactor": adafactor,
    "muon": muon,
    "lamb": lamb,
    "schedulefreeadamw": schedule_free_adamw,
}
BASE_DEFAULTS: dict[str, Any] = {
    "weight_decay": None,
    "clipnorm": None,
    "clipvalue": None,
    "global_clipnorm": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    # The trainer would multiply the loss by it and the optimizer divide the gradients by it:
    # with the float32 loss differentiated as is, the pair cancels, so it is accepted as is.
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
    "exclude_from_weight_decay": None,  # regexes searched in a parameter's own name
    "exclude_from_weight_decay_paths": None,  # exact parameter paths
}
_IGNORED = {"name", "dtype"}


def _validate_base(config: dict[str, Any]) -> None:
    """Keras' checks of the base optimizer's arguments."""
    clips = [k for k in ("clipnorm", "clipvalue", "global_clipnorm") if config[k] is not None]
    if len(clips) > 1:
        raise ValueError(
            f"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
            f"Received: {clips}"
        )
    steps = config["gradient_accumulation_steps"]
    if steps and not (isinstance(steps, int) and steps >= 2):
        raise ValueError(
            "`gradient_accumulation_steps` must be an integer >= 2. "
            f"Received: gradient_accumulation_steps={steps}"
        )
    if config["use_ema"]:
        momentum, every = config["ema_momentum"], config["ema_overwrite_frequency"]
        if momentum > 1 or momentum < 0:
            raise ValueError(
                f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={momentum}"
            )
        if every and (not isinstance(every, int) or every < 1):
            raise ValueError(
                "`ema_overwrite_frequency` must be an integer >= 1 or None. "
                f"Received: ema_overwrite_frequency={every}"
            )


def resolve_config(spec: dict[str, Any]) -> tuple[ModuleType, dict[str, Any]]:
    """Validates ``spec`` and returns the optimizer module and its full config (defaults filled).

    Raises:
        ValueError: for an unknown optimizer or argument, two clipping arguments, or a bad
            base-optimizer option.
    """
    key = str(spec["name"]).lower()
    if key == loss_scale.NAME:
        inner, _ = loss_scale.resolve(spec)
        return resolve_config(inner)
    if key == multi.NAME:
        subs = multi.check(spec)
        for sub in subs[1:]:
            resolve_config(sub)
        return resolve_config(subs[0])
    if key not in OPTIMIZERS:
        raise ValueError(
            f"Unsupported optimizer. Expected one of {sorted([*OPTIMIZERS, loss_scale.NAME])}. "
            f"Received: name={spec['name']!r}"
        )
    module = OPTIMIZERS[key]
    defaults = {**BASE_DEFAULTS, **module.DEFAULTS}
    unknown = sorted(set(spec) - set(defaults) - _IGNORED)
    if unknown:
        raise ValueError(f"Argument(s) not recognized: {unknown}. Received: spec={spec}")
    config = {**defaults, **{k: v for k, v in spec.items() if k in defaults}}
    _validate_base(config)
    module.validate(config)
    return module, config


def slot_specs(
    spec: dict[str, Any], param_shapes: dict[str, tuple[int, ...]]
) -> dict[str, tuple[tuple[int, ...], str, float]]:
    """The optimizer state: ``{"<param>/<slot>": (shape, "float32", initial value)}`` (plus a
    loss-scale wrapper's scalar state)."""
    if str(spec["name"]).lower() == loss_scale.NAME:
        inner, config = loss_scale.resolve(spec)
        return {**slot_specs(inner, param_shapes), **loss_scale.state_specs(config)}
    if str(spec["name"]).lower() == multi.NAME:
        subs = multi.check(spec)
        found = {}
        for index, names in multi.split(spec, param_shapes).items():
            found.update(slot_specs(subs[index], {n: param_shapes[n] for n in names}))
        return found
    module, config = resolve_config(spec)
    return {
        f"{param}/{slot}": (tuple(slot_shape), "float32", float(init))
        for param, shape in param_shapes.items()
        for slot, (slot_shape, init) in param_slots(module, config, param, tuple(shape)).items()
    }


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
        params: Current parameter values by path (with static shapes).
        grads: Gradients by parameter path; parameters without a gradient (None or absent)
            are left out of the result, like Keras skips them.
        slots: Current slot values, keyed as :func:`slot_specs` names them.
        lr: Float32 scalar learning rate for this step.
        step: Float32 scalar, the 1-based iteration (Keras' ``iterations + 1``).

    Returns:
        Updated parameters and slots for every parameter that has a gradient.
    """
    grads = {name: g for name, g in grads.items() if g is not None}
    with b.scope("optimizer"):
        key = str(spec["name"]).lower()
        if key == loss_scale.NAME:
            return loss_scale.build(b, spec, params, grads, slots, lr, _plain)
        if key == multi.NAME:
            return multi.build(b, spec, params, grads, slots, lr, step, _plain)
        return _plain(b, spec, params, grads, slots, lr, step)


def scalar_inputs(spec: dict[str, Any]) -> list[str]:
    """Float32 scalar graph inputs the update reads besides ``lr`` and ``step`` (a
    MultiOptimizer's ``lr:1``, ``lr:2``...); :func:`build_updates` creates them."""
    return multi.scalar_inputs(spec) if str(spec["name"]).lower() == multi.NAME else []


def _plain(b, spec, params, grads, slots, lr, step):
    module, config = resolve_config(spec)
    return apply_updates(b, module, config, params, grads, slots, lr, step)


__all__ = [
    "BASE_DEFAULTS",
    "OPTIMIZERS",
    "build_updates",
    "resolve_config",
    "scalar_inputs",
    "slot_specs",
]
