"""Tests for compiler.optim: five optimizer steps in onnxruntime against numpy references."""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort
import pytest

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.optim import build_updates, resolve_config, slot_specs
from kgraph.compiler.optim.schedules import ExponentialDecay, learning_rate_at

F = np.float32
SHAPES = {"dense/kernel": (3, 4), "dense/bias": (4,)}


class StepGraph:
    """params, grads, slots, lr, step -> build_updates -> new params and slots."""

    def __init__(self, spec, shapes=SHAPES, opset=21):
        b = GraphBuilder(opset=opset)
        params = {n: b.input(n, s, F) for n, s in shapes.items()}
        grads = {n: b.input(f"{n}:grad", s, F) for n, s in shapes.items()}
        self.slot_specs = slot_specs(spec, shapes)
        slots = {k: b.input(k, s, d) for k, (s, d, _) in self.slot_specs.items()}
        lr, step = b.input("lr", [], F), b.input("step", [], F)
        new_params, new_slots = build_updates(b, spec, params, grads, slots, lr, step)
        assert set(new_params) == set(shapes) and set(new_slots) == set(slots)
        self.names = [*new_params, *new_slots]
        for name, value in {**new_params, **new_slots}.items():
            b.output(value, f"{name}:new")
        self.graph = b.graph
        data = serde.to_bytes(serde.to_model(b.graph))
        self.sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])

    def initial_slots(self):
        return {k: np.full(s, init, d) for k, (s, d, init) in self.slot_specs.items()}

    def run(self, params, grads, slots, lr, step):
        feeds = {
            **params,
            **{f"{n}:grad": g for n, g in grads.items()},
            **slots,
            "lr": np.array(lr, F),
            "step": np.array(step, F),
        }
        outs = dict(zip(self.names, self.sess.run(None, feeds)))
        return {n: outs[n] for n in params}, {k: outs[k] for k in slots}


# -- numpy reference ----------------------------------------------------------------------
def np_clip(cfg, grads):
    if cfg["clipnorm"]:
        c = F(cfg["clipnorm"])
        return {n: g * c / np.maximum(np.sqrt((g * g).sum()), c) for n, g in grads.items()}
    if cfg["global_clipnorm"]:
        c = F(cfg["global_clipnorm"])
        norm = np.sqrt(F(sum((g * g).sum() for g in grads.values())))
        scale = c * np.minimum(F(1) / norm, F(1) / c)
        return {n: g * scale for n, g in grads.items()}
    if cfg["clipvalue"]:
        v = F(cfg["clipvalue"])
        return {n: np.clip(g, -v, v) for n, g in grads.items()}
    return grads


def np_update(kind, cfg, p, g, s, lr, t):
    """One step of ``kind`` on one parameter in float32; ``s`` maps slot suffix -> array."""
    s = dict(s)
    if kind == "sgd":
        if cfg["momentum"] == 0:
            return p - g * lr, s
        mom = F(cfg["momentum"])
        m = s["sgd_momentum"] = s["sgd_momentum"] * mom - g * lr
        return p + (m * mom - g * lr if cfg["nesterov"] else m), s
    if kind in ("adam", "adamw"):
        b1, b2 = F(cfg["beta_1"]), F(cfg["beta_2"])
        alpha = lr * np.sqrt(F(1) - b2**t) / (F(1) - b1**t)
        m = s["adam_m"] = s["adam_m"] + (g - s["adam_m"]) * F(1 - cfg["beta_1"])
        v = s["adam_v"] = s["adam_v"] + (g * g - s["adam_v"]) * F(1 - cfg["beta_2"])
        if cfg["amsgrad"]:
            v = s["adam_vhat"] = np.maximum(s["adam_vhat"], v)
        return p - m * alpha / (np.sqrt(v) + F(cfg["epsilon"])), s
    if kind == "rmsprop":
        rho, eps = F(cfg["rho"]), F(cfg["epsilon"])
        v = s["rmsprop_velocity"] = rho * s["rmsprop_velocity"] + F(1 - cfg["rho"]) * g * g
        if cfg["centered"]:
            a = s["rmsprop_average_gradient"]
            a = s["rmsprop_average_gradient"] = rho * a + F(1 - cfg["rho"]) * g
            denom = v - a * a + eps
        else:
            denom = v + eps
        inc = lr * g / np.sqrt(denom)
        if cfg["momentum"] > 0:
            inc = s["rmsprop_momentum"] = F(cfg["momentum"]) * s["rmsprop_momentum"] + inc
        return p - inc, s
    acc = s["adagrad_accumulator"] = s["adagrad_accumulator"] + g * g
    return p - lr * g / np.sqrt(acc + F(cfg["epsilon"])), s


def np_step(spec, params, grads, slots, lr, t):
    _, cfg = resolve_config(spec)
    kind = spec["name"].lower()
    lr, t = F(lr), F(t)
    grads = np_clip(cfg, grads)
    new_params, new_slots = {}, {}
    for n, p in params.items():
        excluded = any(x in n for x in cfg["exclude_from_weight_decay"] or [])
        if cfg["weight_decay"] is not None and not excluded:
            p = p - p * F(cfg["weight_decay"]) * lr
        own = {k.split("/")[-1]: v for k, v in slots.items() if k.rsplit("/", 1)[0] == n}
        p, own = np_update(kind, cfg, p, grads[n], own, lr, t)
        new_params[n] = p
        new_slots.update({f"{n}/{k}": v for k, v in own.items()})
    return new_params, new_slots


SPECS = [
    {"name": "sgd"},
    {"name": "SGD", "momentum": 0.9},
    {"name": "sgd", "momentum": 0.9, "nesterov": True},
    {"name": "sgd", "weight_decay": 0.05},
    {"name": "adam"},
    {"name": "Adam", "amsgrad": True, "beta_1": 0.8, "epsilon": 1e-3},
    {"name": "adamw"},
    {"name": "AdamW", "weight_decay": 0.1, "exclude_from_weight_decay": ["bias"]},
    {"name": "rmsprop"},
    {"name": "rmsprop", "momentum": 0.5},
    {"name": "RMSprop", "centered": True, "momentum": 0.3, "rho": 0.8},
    {"name": "adagrad"},
    {"name": "Adagrad", "initial_accumulator_value": 0.5, "epsilon": 1e-3},
    {"name": "sgd", "clipnorm": 0.5},
    {"name": "adam", "clipnorm": 1.0},
    {"name": "adam", "clipvalue": 0.1},
    {"name": "sgd", "momentum": 0.9, "global_clipnorm": 0.5},
    {"name": "rmsprop", "global_clipnorm": 100.0},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(f"{v}" for v in s.values()))
def test_five_steps_match_numpy(spec):
    rng = np.random.default_rng(0)
    graph = StepGraph(spec)
    params = {n: rng.normal(size=s).astype(F) for n, s in SHAPES.items()}
    slots = graph.initial_slots()
    ref_params, ref_slots = dict(params), dict(slots)
    for step in range(1, 6):
        grads = {n: (rng.normal(size=s) * 2).astype(F) for n, s in SHAPES.items()}
        lr = 0.1 * 0.8**step  # the learning rate is an input: it may change every step
        params, slots = graph.run(params, grads, slots, lr, step)
        ref_params, ref_slots = np_step(spec, ref_params, grads, ref_slots, lr, step)
        for name in params:
            np.testing.assert_allclose(params[name], ref_params[name], rtol=1e-5, atol=1e-6)
        for name in slots:
            np.testing.assert_allclose(slots[name], ref_slots[name], rtol=1e-5, atol=1e-6)


def test_slot_specs():
    specs = slot_specs({"name": "adam"}, SHAPES)
    assert specs == {
        "dense/kernel/adam_m": ((3, 4), "float32", 0.0),
        "dense/kernel/adam_v": ((3, 4), "float32", 0.0),
        "dense/bias/adam_m": ((4,), "float32", 0.0),
        "dense/bias/adam_v": ((4,), "float32", 0.0),
    }
    assert slot_specs({"name": "sgd"}, SHAPES) == {}
    assert set(slot_specs({"name": "rmsprop", "momentum": 0.1, "centered": True}, {"w": (2,)})) == {
        "w/rmsprop_velocity",
        "w/rmsprop_momentum",
        "w/rmsprop_average_gradient",
    }
    assert slot_specs({"name": "adagrad"}, {"w": (2,)})["w/adagrad_accumulator"][2] == 0.1
    assert resolve_config({"name": "adamw"})[1]["weight_decay"] == 0.004


@pytest.mark.parametrize(
    "spec", [{"name": "sgd", "clipnorm": 1.0}, {"name": "sgd", "global_clipnorm": 1.0}]
)
def test_clipping_zero_gradients_stays_finite(spec):
    graph = StepGraph(spec)
    params = {n: np.ones(s, F) for n, s in SHAPES.items()}
    grads = {n: np.zeros(s, F) for n, s in SHAPES.items()}
    new_params, _ = graph.run(params, grads, {}, 0.1, 1)
    for name in params:
        np.testing.assert_array_equal(new_params[name], params[name])


def test_parameters_without_gradient_are_skipped_and_nodes_scoped():
    b = GraphBuilder()
    params = {n: b.input(n, s, F) for n, s in SHAPES.items()}
    slots = {k: b.input(k, s, d) for k, (s, d, _) in slot_specs({"name": "adam"}, SHAPES).items()}
    grads = {"dense/kernel": b.input("g", SHAPES["dense/kernel"], F), "dense/bias": None}
    lr, step = b.input("lr", [], F), b.input("step", [], F)
    new_params, new_slots = build_updates(b, {"name": "adam"}, params, grads, slots, lr, step)
    assert set(new_params) == {"dense/kernel"}
    for value in [*new_params.values(), *new_slots.values()]:  # typed: outputs need no inference
        assert value.dtype == params["dense/kernel"].dtype
        assert list(value.shape) == list(SHAPES["dense/kernel"])
    assert set(new_slots) == {"dense/kernel/adam_m", "dense/kernel/adam_v"}
    assert all(n.name.startswith("optimizer/dense/kernel/") for n in b.graph)


@pytest.mark.parametrize("opset", [17, 23])
def test_opsets(opset):
    graph = StepGraph({"name": "adam", "global_clipnorm": 1.0}, opset=opset)
    params = {n: np.ones(s, F) for n, s in SHAPES.items()}
    grads = {n: np.full(s, 3.0, F) for n, s in SHAPES.items()}
    new_params, _ = graph.run(params, grads, graph.initial_slots(), 0.1, 1)
    ref, _ = np_step(
        {"name": "adam", "global_clipnorm": 1.0}, params, grads, graph.initial_slots(), 0.1, 1
    )
    for name in params:
        np.testing.assert_allclose(new_params[name], ref[name], rtol=1e-5)


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"name": "lars"}, "Unsupported optimizer"),
        ({"name": "sgd", "clipnorm": 1.0, "clipvalue": 1.0}, "Only one of"),
        ({"name": "adam", "momentum": 0.9}, "not recognized"),
        ({"name": "adam", "use_ema": True, "ema_momentum": 1.5}, "ema_momentum"),
        ({"name": "sgd", "gradient_accumulation_steps": 1}, "gradient_accumulation_steps"),
        ({"name": "lion", "beta_1": 0.0}, "beta_1"),
        ({"name": "ftrl", "learning_rate_power": 0.5}, "learning_rate_power"),
        ({"name": "loss_scale_optimizer", "inner_optimizer": {"name": "sgd"}, "x": 1}, "x"),
        ({"name": "adamw", "weight_decay": None}, "weight_decay"),
        ({"name": "sgd", "momentum": 1.5}, "momentum"),
    ],
)
def test_bad_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        resolve_config(spec)


ORACLE_SPECS = [
    {"name": "sgd", "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"name": "adam", "amsgrad": True, "clipnorm": 0.5},
    {"name": "adamw", "global_clipnorm": 1.0},
    {"name": "rmsprop", "centered": True, "momentum": 0.5, "clipvalue": 0.3},
    {"name": "adagrad"},
]


@pytest.mark.oracle
@pytest.mark.parametrize("spec", ORACLE_SPECS, ids=lambda s: s["name"])
def test_three_steps_match_keras_with_schedule(spec):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    cls = {
        "sgd": keras.optimizers.SGD,
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "rmsprop": keras.optimizers.RMSprop,
        "adagrad": keras.optimizers.Adagrad,
    }[spec["name"]]
    kwargs = {k: v for k, v in spec.items() if k != "name"}
    optimizer = cls(
        learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5), **kwargs
    )
    schedule = ExponentialDecay(0.1, 2, 0.5)
    rng = np.random.default_rng(3)
    params = {n: rng.normal(size=s).astype(F) for n, s in SHAPES.items()}
    variables = [keras.Variable(v) for v in params.values()]
    graph = StepGraph(spec)
    slots = graph.initial_slots()
    for step in range(1, 4):
        grads = {n: rng.normal(size=s).astype(F) for n, s in SHAPES.items()}
        optimizer.apply(list(grads.values()), variables)
        params, slots = graph.run(params, grads, slots, learning_rate_at(schedule, step), step)
        for var, name in zip(variables, params):
            np.testing.assert_allclose(params[name], np.asarray(var.value), rtol=2e-5, atol=1e-6)
