"""Losses and metrics on concrete arrays, computed by the compiler's own graph builders.

Calling a loss object, a loss or metric function, or a metric's ``update_state`` on arrays
builds a small graph with :mod:`compiler.losses` / :mod:`compiler.metrics` (the builders the
training step uses) and runs it in onnxruntime, so eager values have exactly the semantics of
the compiled ones. Sessions are cached per computation, hyper-parameters and input signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from kgraph.compiler import losses as closses
from kgraph.compiler import metrics as cmetrics
from kgraph.compiler.builder import GraphBuilder
from kgraph.ops.core import eager_session
from kgraph.tensor import KerasTensor

_SESSIONS: dict[tuple, Any] = {}
_MAX_SESSIONS = 256


def _array(x: Any, role: str) -> np.ndarray:
    """``x`` as a numpy array the graph takes: floats as float32, ints as int64, bools as 0/1."""
    if isinstance(x, KerasTensor):
        raise TypeError(
            f"Losses and metrics called directly need concrete arrays; `{role}` is a symbolic "
            f"KerasTensor {x}. Pass the loss to `model.compile(loss=...)` instead."
        )
    a = np.asarray(x)
    if a.dtype.kind == "f":
        return a.astype(np.float32, copy=False)
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False)
    if a.dtype.kind == "b":
        return a.astype(np.float32)
    raise TypeError(f"`{role}` must be numeric. Received: dtype={a.dtype}")


def _key(spec: dict[str, Any]) -> str:
    return repr(sorted(spec.items()))


def _traced(build: Callable, inputs: dict[str, Any]):
    """``build`` emitted into the active trace when an input is a traced tensor (a loss
    function called inside a user's loss or layer), as a KerasTensor; else None."""
    from kgraph import trace

    active = trace.current()
    symbolic = [x for x in inputs.values() if isinstance(x, KerasTensor) and x._value is not None]
    if active is None or not symbolic:
        return None
    b, values = active.builder, {}
    for name, x in inputs.items():
        if isinstance(x, KerasTensor):
            values[name] = x._value
        elif x is not None:
            values[name] = b.constant(_array(x, name))
    out = build(b, values)[0]
    dims = [d if isinstance(d, int) else None for d in out.shape]
    return KerasTensor(dims, "float32", value=out)


def _symbolic(inputs: dict[str, Any], per_sample: bool):
    """A shape-only KerasTensor of the loss when an input is a symbolic KerasTensor (a layer
    that calls a loss while a Functional model is being built, as Keras' guide's
    ``LogisticEndpoint``): the scalar of a reduced loss, one value per sample unreduced; else
    None. The real loss is computed when the model's graphs are traced."""
    symbolic = any(isinstance(x, KerasTensor) and x._value is None for x in inputs.values())
    if not symbolic:
        return None
    shape = tuple(getattr(inputs["y_pred"], "shape", np.shape(inputs["y_pred"])))[:-1]
    return KerasTensor(shape if per_sample else (), "float32")


def _run(what: str, spec: dict[str, Any], build: Callable, arrays: dict[str, np.ndarray]):
    """Runs ``build(builder, {name: input value})`` (a list of outputs) on ``arrays``."""
    signature = tuple((n, a.shape, a.dtype.str) for n, a in arrays.items())
    key = (what, _key(spec), signature)
    session = _SESSIONS.get(key)
    if session is None:
        session = _session(what, build, arrays)
        if len(_SESSIONS) >= _MAX_SESSIONS:
            _SESSIONS.pop(next(iter(_SESSIONS)))
        _SESSIONS[key] = session
    return session.run(arrays)


def _session(what: str, build: Callable, arrays: dict[str, np.ndarray]):
    b = GraphBuilder(name=what)
    values = {n: b.input(n, a.shape, a.dtype) for n, a in arrays.items()}
    for i, v in enumerate(build(b, values)):
        b.output(v, f"out{i}")
    return eager_session(b)


def _inputs(y_true, y_pred, sample_weight=None) -> dict[str, np.ndarray]:
    arrays = {"y_true": _array(y_true, "y_true"), "y_pred": _array(y_pred, "y_pred")}
    if sample_weight is not None:
        arrays["sample_weight"] = _array(sample_weight, "sample_weight").astype(np.float32)
    return arrays


def evaluate_loss(spec: dict[str, Any], y_true, y_pred, sample_weight=None) -> np.ndarray:
    """A loss with its reduction, as ``Loss.__call__`` computes it in Keras.

    Args:
        spec: The loss spec (``Loss.spec()``): name, hyper-parameters and ``reduction``.
        y_true, y_pred: Targets and predictions.
        sample_weight: Optional per-sample (or per-element) weights.

    Returns:
        A float32 scalar array, or the weighted per-sample values for reduction ``None``.
    """
    closses.loss_config(spec)  # bad specs fail before anything is built

    def build(b, v):
        return [closses.build_loss(b, spec, v["y_true"], v["y_pred"], v.get("sample_weight"))]

    inputs = {"y_true": y_true, "y_pred": y_pred, "sample_weight": sample_weight}
    traced = _traced(build, inputs)
    if traced is None:
        traced = _symbolic(inputs, spec.get("reduction", "sum_over_batch_size") in (None, "none"))
    if traced is not None:
        return traced
    return _run("loss", spec, build, _inputs(y_true, y_pred, sample_weight))[0]


def loss_values(spec: dict[str, Any], y_true, y_pred) -> np.ndarray:
    """The unreduced loss (one value per sample), as Keras' loss functions return it."""
    closses.loss_config(spec)

    def build(b, v):
        return [closses.per_sample_loss(b, spec, v["y_true"], v["y_pred"])[0]]

    inputs = {"y_true": y_true, "y_pred": y_pred}
    traced = _traced(build, inputs)
    traced = _symbolic(inputs, per_sample=True) if traced is None else traced
    if traced is not None:
        return traced
    return _run("loss_values", spec, build, _inputs(y_true, y_pred))[0]


def metric_values(spec: dict[str, Any], y_true, y_pred) -> np.ndarray:
    """The values a metric averages (``spec["name"]`` canonical), as Keras' metric functions."""
    kind = cmetrics.canonical_metric_name(spec["name"])

    def build(b, v):
        return [cmetrics.metric_values(b, kind, spec, v["y_true"], v["y_pred"])]

    traced = _traced(build, {"y_true": y_true, "y_pred": y_pred})
    if traced is not None:
        return traced
    return _run("metric_values", spec, build, _inputs(y_true, y_pred))[0]


def metric_update(spec: dict[str, Any], y_true, y_pred, sample_weight=None) -> tuple[float, float]:
    """One ``update_state`` of a mean metric: the ``(total, count)`` to add to its state."""
    kind = cmetrics.canonical_metric_name(spec["name"])

    def build(b, v):
        values = cmetrics.metric_values(b, kind, spec, v["y_true"], v["y_pred"])
        return list(cmetrics.accumulate(b, values, v.get("sample_weight")))

    total, count = _run("metric_update", spec, build, _inputs(y_true, y_pred, sample_weight))
    return float(total), float(count)


def metric_state(spec: dict[str, Any]) -> dict[str, np.ndarray]:
    """A metric's zero state (Keras' freshly built or reset variables)."""
    return {
        k: np.zeros(shape, np.float32)
        for k, (shape, _) in cmetrics.metric_state_specs(spec).items()
    }


def _state_arrays(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"state{i}": value for i, value in enumerate(state.values())}


def metric_state_update(spec, state, y_true, y_pred, sample_weight=None) -> dict[str, np.ndarray]:
    """One ``update_state``: the metric's new state after a batch (same keys as ``state``)."""
    keys = list(state)
    arrays = {**_inputs(y_true, y_pred, sample_weight), **_state_arrays(state)}

    def build(b, v):
        current = {k: v[f"state{i}"] for i, k in enumerate(keys)}
        sw = v.get("sample_weight")
        new = cmetrics.metric_update(b, spec, v["y_true"], v["y_pred"], sw, current)
        return [new[k] for k in keys]

    return dict(zip(keys, _run("metric_state_update", spec, build, arrays)))


def metric_state_result(spec: dict[str, Any], state: dict[str, np.ndarray]) -> np.ndarray:
    """The metric's ``result()`` from its state (a float32 scalar, or a vector)."""
    keys = list(state)

    def build(b, v):
        current = {k: v[f"state{i}"] for i, k in enumerate(keys)}
        return [cmetrics.metric_result(b, spec, current)]

    return _run("metric_state_result", spec, build, _state_arrays(state))[0]


__all__ = [
    "evaluate_loss",
    "loss_values",
    "metric_state",
    "metric_state_result",
    "metric_state_update",
    "metric_update",
    "metric_values",
]
