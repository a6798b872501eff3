"""The optimizers added to compiler.optim, 20 steps in onnxruntime against real Keras (JAX).

Both sides start from the same weights and see the same gradients at every step; parameters,
and where Keras exposes them the EMA averages and the loss scale, must agree."""

from __future__ import annotations

import numpy as np
import pytest

from tests.compiler.optim.test_optimizers import StepGraph
from tests.oracle.keras_oracle import MARKS, keras

pytestmark = MARKS
F = np.float32
SHAPES = {"dense/kernel": (3, 4), "dense/bias": (4,), "conv/kernel": (2, 2, 3, 5)}
STEPS = 20

CASES = [
    ("Adamax", {}),
    ("Adamax", {"beta_1": 0.7, "epsilon": 1e-3, "weight_decay": 0.05}),
    ("Nadam", {}),
    ("Nadam", {"beta_2": 0.9, "clipnorm": 0.5}),
    ("Lion", {}),
    ("Lion", {"beta_1": 0.5, "beta_2": 0.8, "global_clipnorm": 1.0}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"rho": 0.8, "epsilon": 1e-4, "clipvalue": 0.5}),
    ("Ftrl", {}),
    (
        "Ftrl",
        {
            "learning_rate_power": -0.3,
            "initial_accumulator_value": 0.5,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.02,
            "l2_shrinkage_regularization_strength": 0.03,
            "beta": 0.1,
        },
    ),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.5, "beta_2_decay": -0.6, "clip_threshold": 0.5}),
    ("Muon", {}),
    ("Muon", {"nesterov": False, "ns_steps": 3, "rms_rate": None, "adam_lr_ratio": 0.5}),
    ("Muon", {"exclude_layers": ["dense"], "weight_decay": 0.1}),
    ("Lamb", {}),
    ("Lamb", {"beta_1": 0.8, "epsilon": 1e-4, "weight_decay": 0.02}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"warmup_steps": 5, "beta_1": 0.8, "weight_decay": 0.05}),
    ("ScheduleFreeAdamW", {"gradient_accumulation_steps": 2}),
    ("SGD", {"momentum": 0.9, "use_ema": True}),
    ("Adam", {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 3}),
    ("Adam", {"gradient_accumulation_steps": 3}),
    ("RMSprop", {"gradient_accumulation_steps": 2, "use_ema": True, "weight_decay": 0.01}),
    ("Nadam", {"gradient_accumulation_steps": 4}),
    ("SGD", {"loss_scale_factor": 128.0}),
]


def _names(shapes):
    """Keras variable names (no '/') in the order of ``shapes``."""
    return [n.replace("/", "_") for n in shapes]


def _spec(cls_name, kwargs):
    return {"name": cls_name.lower(), **{k: v for k, v in kwargs.items() if k != "learning_rate"}}


def _keras_stepper(optimizer, variables):
    """One jitted ``stateless_apply`` (Keras' JAX path; eager ``apply`` re-traces its
    ``lax.cond``s at every call, and LossScaleOptimizer supports only the stateless form)."""
    import jax

    optimizer.build(variables)
    apply = jax.jit(optimizer.stateless_apply)

    def step(grads):
        new_vars, new_opt = apply(
            [v.value for v in optimizer.variables], grads, [v.value for v in variables]
        )
        for var, value in zip([*variables, *optimizer.variables], [*new_vars, *new_opt]):
            var.assign(value)

    return step


def _run_pair(optimizer, spec, lr, grads_for_keras=None, steps=STEPS, seed=5):
    """Runs ``steps`` steps on both sides; returns (ours, Keras variables, graph, slots)."""
    rng = np.random.default_rng(seed)
    params = {n: rng.normal(size=s).astype(F) for n, s in SHAPES.items()}
    variables = [keras.Variable(v, name=k) for k, v in zip(_names(SHAPES), params.values())]
    keras_step = _keras_stepper(optimizer, variables)
    graph = StepGraph(spec, SHAPES)
    slots = graph.initial_slots()
    for step in range(1, steps + 1):
        grads = {n: rng.normal(size=s).astype(F) for n, s in SHAPES.items()}
        fed = grads_for_keras(step, grads) if grads_for_keras else grads
        keras_step(list(fed.values()))
        params, slots = graph.run(params, grads, slots, lr, step)
        for var, name in zip(variables, params):
            np.testing.assert_allclose(
                params[name], np.asarray(var.value), rtol=1e-4, atol=2e-5, err_msg=f"{name}@{step}"
            )
    return params, variables, slots


@pytest.mark.parametrize("cls_name, kwargs", CASES, ids=lambda c: str(c))
def test_twenty_steps_match_keras(cls_name, kwargs):
    optimizer = getattr(keras.optimizers, cls_name)(**{"learning_rate": 0.05, **kwargs})
    lr = kwargs.get("learning_rate", 0.05)
    factor = F(kwargs.get("loss_scale_factor") or 1.0)  # Keras' trainer scales the loss by it

    def scaled(step, grads):
        return {n: g * factor for n, g in grads.items()}

    _, _, slots = _run_pair(optimizer, _spec(cls_name, kwargs), lr, scaled)
    if kwargs.get("use_ema"):
        for var, name in zip(optimizer._model_variables_moving_average, SHAPES):
            np.testing.assert_allclose(
                slots[f"{name}/average"], np.asarray(var), rtol=1e-4, atol=2e-5
            )


def test_muon_treats_embeddings_with_adam():
    spec = {"name": "muon"}
    graph = StepGraph(spec, {"embedding/embeddings": (6, 3), "dense/kernel": (3, 2)})
    assert set(graph.slot_specs) == {
        "embedding/embeddings/muon_momentum",
        "embedding/embeddings/muon_velocity",
        "dense/kernel/muon_momentum",
    }


def test_loss_scale_optimizer_skips_non_finite_steps_and_adapts_the_scale():
    inner = keras.optimizers.Adam(learning_rate=0.05)
    optimizer = keras.optimizers.LossScaleOptimizer(
        inner, initial_scale=4.0, dynamic_growth_steps=3
    )
    spec = {
        "name": "loss_scale_optimizer",
        "inner_optimizer": {"name": "adam"},
        "initial_scale": 4.0,
        "dynamic_growth_steps": 3,
    }
    bad_steps = {5, 9, 10}

    def scaled(step, grads):  # Keras sees the gradients of the scaled loss
        if step in bad_steps:
            grads["dense/bias"][0] = np.inf
        scale = float(np.asarray(optimizer.dynamic_scale.value))
        return {n: g * F(scale) for n, g in grads.items()}

    _, _, slots = _run_pair(optimizer, spec, 0.05, grads_for_keras=scaled)
    assert float(slots["loss_scale/dynamic_scale"]) == float(np.asarray(optimizer.dynamic_scale))
    assert float(slots["loss_scale/step_counter"]) == float(np.asarray(optimizer.step_counter))
    assert float(slots["loss_scale/iterations"]) == STEPS - len(bad_steps)
