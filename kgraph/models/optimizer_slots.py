"""The optimizer's slot Variables (Adam's moments, momentum...) as a compiled model lists,
saves and loads them: zeros named as the step graph names them before the first step, then one
Variable per engine slot in Keras' order."""

from __future__ import annotations

import numpy as np

from kgraph.tensor import Variable


def initial_slots(optimizer, model) -> None:
    """Zero slots for the trainable weights, named as the step graph names them, so that a
    compiled model lists (and saves) its whole optimizer state before it trains."""
    from kgraph.compiler.optim import slot_specs

    shapes = {w.path: tuple(w.shape) for w in model.trainable_weights}
    optimizer.slot_variables = [
        Variable(np.full(shape, init, dtype), trainable=False, name=n.rsplit("/", 1)[-1], path=n)
        for n, (shape, dtype, init) in slot_specs(optimizer.spec(), shapes).items()
    ]


def track_slots(optimizer, model, programs) -> None:
    """Gives the optimizer one Variable per slot of ``programs``' step, in Keras' order (by
    trainable weight, then slot), keeping values it already had or was loaded with."""
    step = programs.step
    path_of = {id(v): p for p, v in programs.variables.items()}
    slots = [n for n in step.state if n not in programs.variables and "/" in n]
    slots = [n for n in slots if not n.startswith("metrics/")]
    ordered = [
        name
        for w in model.trainable_weights
        if id(w) in path_of
        for name in slots
        if name.startswith(path_of[id(w)] + "/")
    ]
    old = {v.path: v for v in optimizer.slot_variables}
    pending = optimizer.pending_slot_values
    if pending is not None and len(pending) != len(ordered):
        pending = None  # a file for another model: as Keras, the slots start fresh
    optimizer.pending_slot_values = None
    variables = []
    for index, name in enumerate(ordered):
        value = step.initial_state[name]
        if pending is not None:
            value = pending[index]
        elif name in old and old[name].shape == value.shape:
            value = old[name].numpy()
        short = name.rsplit("/", 1)[-1]
        variables.append(Variable(value, trainable=False, name=short, path=name))
    optimizer.slot_variables = variables
