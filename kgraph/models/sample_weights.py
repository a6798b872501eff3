"""The shape of the graphs' ``sample_weight`` input, and the weights fed to it.

Keras takes one weight per sample ``(batch,)`` or one per loss element ``(batch, *extra)`` (a
weight per timestep of a sequence tagger). The step and eval graphs take ``(batch,)`` weights
unless per-element weights were given: then their input is ``(batch, *extra)``, each extra axis
of size 1 kept static (Keras squeezes a trailing 1 by its static shape) and every other one
left free. Once the graphs take per-element weights, per-sample weights (and none) are fed as
``(batch, 1, ..., 1)``: the loss and the weighted metrics broadcast them as Keras broadcasts
per-sample weights, so later calls need no rebuild.
"""

from __future__ import annotations

import numpy as np

from kgraph.compiler.training import batch_input, sample_weight_input
from kgraph.tensor import KerasTensor


def weight_dims(sample_weight, current: tuple = ()) -> tuple:
    """The extra axes ``(1 or None, ...)`` the graphs' weights take after ``sample_weight``
    was given: its own for per-element weights, else ``current`` (kept)."""
    if sample_weight is None or np.ndim(sample_weight) <= 1:
        return current
    return tuple(1 if d == 1 else None for d in np.shape(sample_weight)[1:])


def fed_weights(sample_weight, n: int, dims: tuple) -> np.ndarray:
    """The ``sample_weight`` feed of an ``n``-sample batch for graphs taking ``dims``."""
    if sample_weight is None:
        return np.ones((n, *[1] * len(dims)), np.float32)
    weights = np.asarray(sample_weight, np.float32)
    if weights.ndim == 1 and dims:
        return weights.reshape(n, *[1] * len(dims))
    return weights


def declare_input(b, dims: tuple) -> None:
    """Makes the graph's ``sample_weight`` input ``(batch, *dims)`` before anything reads it
    (nothing for per-sample weights: the compiler's default input, the same graphs)."""
    if dims:
        batch_input(b, "sample_weight", (None, *dims), "float32")


def weight_tensor(b) -> KerasTensor:
    """The graph's ``sample_weight`` input as the traced tensor user code receives."""
    value = sample_weight_input(b)
    shape = tuple(d if isinstance(d, int) else None for d in value.shape)
    return KerasTensor(shape, "float32", value=value)


def check_rank(weights: np.ndarray, specs, shapes) -> None:
    """Raises one clear line when per-element weights have more axes than the loss values of
    an output that a built-in loss reads (Keras fails to broadcast them inside the step)."""
    if weights.ndim <= 1:
        return
    for spec, shape in zip(specs, shapes):
        if spec.loss is None or spec.loss["name"] in ("traced", "ctc", "circle"):
            continue
        rank = len(shape) - 1  # the loss reduces the output's last axis
        fits = weights.ndim <= rank or (weights.ndim == rank + 1 and weights.shape[-1] == 1)
        if not fits:
            raise ValueError(
                f"sample_weight holds one weight per loss element: for output "
                f"'{spec.name}' of shape {tuple(shape)} the loss values have shape "
                f"{(None, *tuple(shape)[1:-1])}. Received: sample_weight of shape "
                f"{weights.shape}"
            )
