"""Tests for runtime.engine.TrainingEngine against a numpy SGD reference."""

from __future__ import annotations

import numpy as np
import pytest
import runtime_models as models

from kgraph.runtime import Session, StepSpec, TrainingEngine

SPEC = StepSpec(
    batch_inputs=["x", "y"],
    state={"w": "w:new", "b": "b:new", "iterations": "iterations:new"},
    scalar_inputs=["lr", "step"],
    fetch=["loss", "mae"],
)
TRUE_W = np.array([[1.5], [-2.0], [0.5]], np.float32)
TRUE_B = np.float32(0.3)


@pytest.fixture(scope="module")
def step_model() -> bytes:
    return models.sgd_step_model()


def initial_state(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "w": rng.standard_normal((3, 1)).astype(np.float32) * 0.1,
        "b": np.zeros(1, np.float32),
        "iterations": np.array(0, np.int64),
    }


def make_data(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ TRUE_W + TRUE_B + 0.01 * rng.standard_normal((n, 1))).astype(np.float32)
    return x, y


def batches(x: np.ndarray, y: np.ndarray, size: int):
    for start in range(0, len(x), size):
        yield x[start : start + size], y[start : start + size]


def test_matches_numpy_sgd_every_step(step_model):
    state = initial_state()
    engine = TrainingEngine(step_model, SPEC, state, device="cpu")
    w, b = state["w"].copy(), state["b"].copy()
    x, y = make_data(50 * 16 - 5)  # the last batch is partial (11 rows)
    losses = []
    for step, (xb, yb) in enumerate(batches(x, y, 16)):
        fetched = engine.run_step({"x": xb, "y": yb}, {"lr": 0.05, "step": step})
        loss, w, b = models.numpy_sgd_step(xb, yb, w, b, 0.05, step)
        current = engine.get_state()
        np.testing.assert_allclose(current["w"], w, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(current["b"], b, rtol=1e-5, atol=1e-7)
        assert current["iterations"] == step + 1 and current["iterations"].dtype == np.int64
        np.testing.assert_allclose(fetched["loss"], loss, rtol=1e-5)
        assert set(fetched) == {"loss", "mae"} and fetched["loss"].shape == ()
        losses.append(float(fetched["loss"]))
    assert step == 49 and len(xb) == 11
    assert np.mean(losses[-5:]) < 0.1 * np.mean(losses[:5])


def test_double_buffering_alternates(step_model):
    engine = TrainingEngine(step_model, SPEC, initial_state(), device="cpu")
    x, y = make_data(8)
    pointers = []
    for step in range(4):
        before = {n: v.data_ptr() for n, v in engine.state_values().items()}
        engine.run_step({"x": x, "y": y}, {"lr": 0.1, "step": step})
        after = {n: v.data_ptr() for n, v in engine.state_values().items()}
        for name in engine.state_names:
            assert before[name] != after[name]  # input and output buffers differ in every run
        pointers.append(before)
    assert pointers[0] == pointers[2] and pointers[1] == pointers[3]  # A, B, A, B
    binding_a, binding_b = engine._bindings
    assert binding_a is not binding_b


def test_state_round_trip_and_checks(step_model):
    engine = TrainingEngine(step_model, SPEC, initial_state(), device="cpu")
    assert engine.state_names == ["w", "b", "iterations"]
    assert engine.device == "cpu"
    x, y = make_data(32)
    engine.run_step({"x": x, "y": y}, {"lr": 0.1, "step": 0})
    saved = engine.get_state()
    saved["w"][0, 0] = 1234.0  # a copy: the engine's state is untouched
    assert engine.get_state()["w"][0, 0] != 1234.0
    saved = engine.get_state()
    engine.run_step({"x": x, "y": y}, {"lr": 0.1, "step": 1})
    engine.set_state(saved)
    for name, value in engine.get_state().items():
        np.testing.assert_array_equal(value, saved[name])
    engine.set_state({"b": np.array([7.0])})  # float64 is cast; the others are kept
    assert engine.get_state()["b"].dtype == np.float32 and engine.get_state()["b"][0] == 7.0
    np.testing.assert_array_equal(engine.get_state()["w"], saved["w"])
    with pytest.raises(
        ValueError, match=r"State 'w' expects shape \(3, 1\) float32; received \(3,\)"
    ):
        engine.set_state({"w": np.zeros(3, np.float32)})
    with pytest.raises(ValueError, match="Unknown state"):
        engine.set_state({"nope": np.zeros(1)})
    with pytest.raises(ValueError, match=r"State 'iterations' expects shape \(\) int64"):
        engine.set_state({"iterations": np.float32(1.5)})
    with pytest.raises(ValueError, match=r"expects shape \(\) int64; received \(1,\) int64\.$"):
        engine.set_state({"iterations": np.array([1])})
    # after set_state the next step continues from the restored values
    fetched = engine.run_step({"x": x, "y": y}, {"lr": 0.1, "step": 1})
    loss, _, _ = models.numpy_sgd_step(x, y, saved["w"], np.array([7.0], np.float32), 0.1, 1)
    np.testing.assert_allclose(fetched["loss"], loss, rtol=1e-5)


def test_bad_batches_and_scalars(step_model):
    engine = TrainingEngine(step_model, SPEC, initial_state(), device="cpu")
    x, y = make_data(4)
    scalars = {"lr": 0.1, "step": 0}
    with pytest.raises(ValueError, match=r"The batch must hold exactly \['x', 'y'\]"):
        engine.run_step({"x": x}, scalars)
    with pytest.raises(ValueError, match=r"Batch input 'x' expects shape \(batch, 3\) float32"):
        engine.run_step({"x": x[:, :2], "y": y}, scalars)
    with pytest.raises(ValueError, match="disagree on the number of samples"):
        engine.run_step({"x": x, "y": y[:3]}, scalars)
    with pytest.raises(ValueError, match=r"scalars must hold exactly \['lr', 'step'\]"):
        engine.run_step({"x": x, "y": y}, {"lr": 0.1})
    before = engine.get_state()
    engine.run_step({"x": x.astype(np.float64), "y": y.astype(np.float64)}, scalars)
    assert not np.array_equal(engine.get_state()["w"], before["w"])


def test_spec_and_initial_state_checks(step_model):
    state = initial_state()
    bad_specs = {
        "no role": StepSpec(["x", "y"], {"w": "w:new", "b": "b:new"}),
        "lacks": StepSpec(["x", "y", "z"], dict(SPEC.state)),
        "output": StepSpec(["x", "y"], dict(SPEC.state), fetch=["accuracy"]),
        "more than one role": StepSpec(["x", "y", "lr"], dict(SPEC.state)),
        "is int64 but its update": StepSpec(
            ["x", "y"], {"w": "w:new", "b": "b:new", "iterations": "loss"}
        ),
    }
    for message, spec in bad_specs.items():
        with pytest.raises(ValueError, match=message):
            TrainingEngine(step_model, spec, state, device="cpu")
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        TrainingEngine(step_model, SPEC, {"w": state["w"], "iterations": state["iterations"]})
    with pytest.raises(ValueError, match=r"State 'w' expects shape \(3, 1\)"):
        TrainingEngine(step_model, SPEC, {**state, "w": np.zeros((1, 3), np.float32)})


def test_fetch_a_state_update(step_model):
    spec = StepSpec(["x", "y"], dict(SPEC.state), ["lr", "step"], ["loss", "w:new"])
    engine = TrainingEngine(Session(step_model, device="cpu"), spec, initial_state())
    x, y = make_data(16)
    fetched = engine.run_step({"x": x, "y": y}, {"lr": 0.1, "step": 0})
    np.testing.assert_array_equal(fetched["w:new"], engine.get_state()["w"])
    assert list(fetched) == ["loss", "w:new"]


def test_run_eval_uses_live_state(step_model, tmp_path):
    engine = TrainingEngine(step_model, SPEC, initial_state(), device="cpu")
    x, y = make_data(64)
    eval_bytes = models.eval_model()
    path = tmp_path / "eval.onnx"
    path.write_bytes(eval_bytes)
    for step, (xb, yb) in enumerate(batches(x, y, 16)):
        engine.run_step({"x": xb, "y": yb}, {"lr": 0.05, "step": step})
        state = engine.get_state()
        err = x @ state["w"] + state["b"] - y
        for model in (eval_bytes, path, Session(eval_bytes, device="cpu")):
            result = engine.run_eval(model, {"x": x, "y": y.astype(np.float64)})
            np.testing.assert_allclose(result["loss"], np.mean(err**2), rtol=1e-5)
            np.testing.assert_allclose(result["mae"], np.mean(np.abs(err)), rtol=1e-5)
    assert len(engine._evaluators) == 2  # one cached evaluator for the bytes, one for the path
    only_loss = engine.run_eval(eval_bytes, {"x": x, "y": y}, fetch=["loss"])
    assert list(only_loss) == ["loss"]
    with pytest.raises(ValueError, match="Eval input 'y' is neither in the batch"):
        engine.run_eval(eval_bytes, {"x": x})
    with pytest.raises(ValueError, match="Unknown eval input"):
        engine.run_eval(eval_bytes, {"x": x, "y": y, "z": y})


def test_fetches_whose_shape_follows_the_batch_or_the_data(step_model, capfd):
    spec = StepSpec(["x", "y"], dict(SPEC.state), ["lr", "step"], ["loss", "pred", "positive"])
    engine = TrainingEngine(step_model, spec, initial_state(), device="cpu")
    rng = np.random.default_rng(3)
    for step, n in enumerate([16, 16, 5, 16, 5, 5, 7, 7, 7]):
        x, y = make_data(n, seed=step)
        y = y + rng.standard_normal(y.shape).astype(np.float32)  # new data: new NonZero counts
        state = engine.get_state()
        fetched = engine.run_step({"x": x, "y": y}, {"lr": 0.05, "step": step})
        pred = x @ state["w"] + state["b"]
        np.testing.assert_allclose(fetched["pred"], pred, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(fetched["positive"], np.stack(np.nonzero(pred - y > 0)))
    assert engine._rebind_fetches  # switched to fresh fetch buffers after one failed run
    capfd.readouterr()  # onnxruntime logs that one failed run
