"""The step graph's front-end hooks, on a hand-built graph (no kgraph): ``extra_loss`` is part of
the fetched loss and of the gradients; a node the front end puts on a parameter's updated value
between ``optimizer_updates`` and ``finish`` (a weight constraint) is what the step outputs."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir
import onnxruntime as ort

from kgraph.compiler import training as ctraining
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.step import StepGraph

RNG = np.random.default_rng(3)
W0 = RNG.standard_normal((3, 2)).astype(np.float32)
X = RNG.standard_normal((5, 3)).astype(np.float32)
Y = RNG.standard_normal((5, 2)).astype(np.float32)


def _run_step(b, outputs, trainable, extra_loss, constraints):
    specs = [ctraining.OutputSpec("out", {"name": "mean_squared_error"})]
    graph = StepGraph(b, outputs, specs, trainable, ["x"], extra_loss=extra_loss)
    updates = graph.optimizer_updates({"name": "sgd"})
    for name, project in constraints.items():
        updates[name] = project(updates[name])
    program = graph.finish(updates)
    session = ort.InferenceSession(program.to_bytes(), providers=["CPUExecutionProvider"])
    feeds = {
        "x": X,
        "y": Y,
        "sample_weight": np.ones(len(X), np.float32),
        "lr": np.array(0.5, np.float32),
        "step": np.array(1, np.float32),
        **program.initial_state,
    }
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def test_extra_loss_and_constraints():
    b = GraphBuilder(name="m")
    x = b.input("x", (None, 3), "float32")
    w = b.parameter("w", W0)
    out = b.op("MatMul", [x, w])
    out.type, out.shape = w.type, ir.Shape([None, 2])
    penalty = b.op("ReduceSum", [b.op("Mul", [w, w])], {"keepdims": 0})
    penalty = b.op("Mul", [penalty, b.constant(np.float32(0.1))])
    penalty.type, penalty.shape = w.type, ir.Shape([])
    projected = []

    def non_negative(value):
        projected.append(value)
        return b.op("Relu", [value])

    got = _run_step(
        b,
        [out],
        ["w"],
        penalty,
        {"w": non_negative},
    )
    assert len(projected) == 1
    err = X @ W0 - Y
    np.testing.assert_allclose(got["loss"], (err**2).mean() + 0.1 * (W0**2).sum(), rtol=1e-5)
    grad = 2 * X.T @ err / err.size + 0.2 * W0
    np.testing.assert_allclose(got["w:new"], np.maximum(W0 - 0.5 * grad, 0), rtol=1e-5, atol=1e-6)
