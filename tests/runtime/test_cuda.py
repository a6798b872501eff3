"""CUDA checks: run only where onnxruntime's CUDA provider really initialises."""

from __future__ import annotations

import numpy as np
import pytest
import runtime_models as models

from kgraph.runtime import Predictor, Session, StepSpec, TrainingEngine, resolve_providers
from kgraph.runtime.providers import cuda_unavailable_reason

# onnxruntime's CUDA provider runs float32 MatMul/Conv in TF32 on Ampere and later (its default,
# use_tf32=1): about 10 mantissa bits, so results agree with numpy to ~1e-3 relative, not 1e-6.
TF32 = {"rtol": 2e-3, "atol": 2e-3}

pytestmark = pytest.mark.skipif(
    cuda_unavailable_reason() is not None, reason=f"CUDA unusable: {cuda_unavailable_reason()}"
)


def test_providers_and_session_on_cuda():
    assert resolve_providers("cuda") == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert resolve_providers("auto")[0] == "CUDAExecutionProvider"
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    b = np.ones(3, np.float32)
    session = Session(models.dense_model(w, b), device="cuda")
    assert session.device == "cuda"
    x = np.random.default_rng(0).standard_normal((37, 4)).astype(np.float32)
    np.testing.assert_allclose(Predictor(session).predict(x, batch_size=8), x @ w + b, **TF32)


def test_engine_on_cuda_matches_numpy():
    spec = StepSpec(["x", "y"], {"w": "w:new", "b": "b:new", "iterations": "iterations:new"})
    spec.fetch = ["loss", "mae"]
    rng = np.random.default_rng(0)
    state = {
        "w": rng.standard_normal((3, 1)).astype(np.float32),
        "b": np.zeros(1, np.float32),
        "iterations": np.array(0, np.int64),
    }
    engine = TrainingEngine(models.sgd_step_model(), spec, state, device="cuda")
    assert engine.device == "cuda"
    assert all(v.device_name().lower() == "cuda" for v in engine.state_values().values())
    w, b = state["w"], state["b"]
    for step in range(20):
        n = 16 if step < 19 else 5
        x = rng.standard_normal((n, 3)).astype(np.float32)
        y = rng.standard_normal((n, 1)).astype(np.float32)
        fetched = engine.run_step({"x": x, "y": y}, {"lr": 0.05, "step": step})
        loss, w, b = models.numpy_sgd_step(x, y, w, b, 0.05, step)
        np.testing.assert_allclose(fetched["loss"], loss, **TF32)
    current = engine.get_state()
    np.testing.assert_allclose(current["w"], w, **TF32)
    np.testing.assert_allclose(current["b"], b, **TF32)
    assert current["iterations"] == 20
    engine.set_state({"b": np.array([2.0], np.float32)})
    assert engine.get_state()["b"][0] == 2.0
    result = engine.run_eval(models.eval_model(), {"x": x, "y": y})
    err = x @ current["w"] + 2.0 - y
    np.testing.assert_allclose(result["loss"], np.mean(err**2), **TF32)
