"""MultiOptimizer: each trainable weight follows the sub-optimizer its path maps to, as Keras'
``MultiOptimizer`` with an ``OptimizerMap`` does.

Spec: ``{"name": "multi_optimizer", "optimizers": [spec, ...], "optimizer_map": {pattern:
index}, "default": index or None, "assignments": {path: index}}``. A weight takes its
``assignments`` entry, else the pattern equal to its path, else the one pattern that fully
matches it (two are an error), else ``default``. Sub-optimizer 0 reads the ``lr`` input and
sub-optimizer ``i`` the ``lr:i`` input (:func:`scalar_inputs`), so each keeps its own live rate
or schedule; every sub-optimizer clips, decays and updates its own weights.
"""

from __future__ import annotations

import re
from typing import Any

NAME = "multi_optimizer"
_KEYS = {"name", "optimizers", "optimizer_map", "default", "assignments"}


def check(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The sub-optimizer specs; raises ValueError for a malformed spec."""
    extra = sorted(set(spec) - _KEYS)
    if extra:
        raise ValueError(f"MultiOptimizer does not support arguments: {extra}.")
    optimizers = list(spec.get("optimizers") or [])
    if not optimizers:
        raise ValueError("MultiOptimizer needs at least one sub-optimizer.")
    for sub in optimizers:
        if str(sub.get("name", "")).lower() in (NAME, "loss_scale_optimizer"):
            raise ValueError(
                f"A MultiOptimizer cannot hold a {sub['name']}. Received: optimizers={optimizers}"
            )
    return optimizers


def group_of(spec: dict[str, Any], path: str) -> int:
    """The index of the sub-optimizer that updates the weight at ``path``."""
    assigned = (spec.get("assignments") or {}).get(path)
    if assigned is not None:
        return int(assigned)
    mapping = spec.get("optimizer_map") or {}
    if path in mapping:
        return int(mapping[path])
    matches = [p for p in mapping if re.fullmatch(p, path)]
    if len(matches) > 1:
        raise ValueError(f"Multiple optimizers assigned to variable {path}.")
    if matches:
        return int(mapping[matches[0]])
    if spec.get("default") is None:
        raise ValueError(f"No optimizer is assigned to variable {path} and there is no default.")
    return int(spec["default"])


def scalar_inputs(spec: dict[str, Any]) -> list[str]:
    """The learning-rate inputs beyond ``lr``: ``lr:1``, ``lr:2``, ..."""
    return [f"lr:{i}" for i in range(1, len(check(spec)))]


def split(spec: dict[str, Any], names) -> dict[int, list[str]]:
    """``{sub-optimizer index: [weight paths]}`` for the weights in ``names``."""
    groups: dict[int, list[str]] = {}
    for name in names:
        groups.setdefault(group_of(spec, name), []).append(name)
    return groups


def build(b, spec, params, grads, slots, lr, step, plain):
    """Emits each group's update with ``plain(b, sub_spec, params, grads, slots, lr, step)``;
    returns ``(new params, new slots)``."""
    optimizers = check(spec)
    rates = [lr, *(b.input(name, (), "float32") for name in scalar_inputs(spec))]
    new_params, new_slots = {}, {}
    for index, names in sorted(split(spec, grads).items()):
        rate = rates[index]
        sub_grads = {n: grads[n] for n in names}
        with b.scope(f"group_{index}"):
            p, s = plain(b, optimizers[index], params, sub_grads, slots, rate, step)
        new_params.update(p)
        new_slots.update(s)
    return new_params, new_slots
