"""Softmax, LogSoftmax and Dropout gradient rules."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir
import pytest
from harness_vjp import check_vjp, session

from kgraph.compiler import serde
from kgraph.compiler.autodiff import ensure_shapes, gradients
from kgraph.compiler.builder import GraphBuilder

RNG = np.random.default_rng(4)


@pytest.mark.parametrize("op_type", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_softmax(op_type, axis):
    check_vjp(op_type, [RNG.standard_normal((2, 3, 4))], {} if axis is None else {"axis": axis})


@pytest.mark.parametrize("op_type", ["Softmax", "LogSoftmax"])
def test_softmax_symbolic_batch(op_type):
    check_vjp(op_type, [RNG.standard_normal((3, 5))], {"axis": 1}, batch=True)


def test_softmax_before_opset_13_is_reported():
    b = GraphBuilder(opset=11)
    x = b.input("x", (2, 3), np.float32)
    loss = b.op("ReduceSum", [b.op("Softmax", [x])], {"keepdims": 0})
    b.output(loss, "loss")
    with pytest.raises(ValueError, match="opset 13"):
        gradients(b, loss, [x])


@pytest.mark.parametrize("training", [None, False])
def test_dropout_outside_training_is_the_identity(training):
    inputs = [RNG.standard_normal((3, 4)), np.array(0.4)]
    if training is not None:
        inputs.append(np.array(training))
    check_vjp("Dropout", inputs, {}, loss_outputs=[0])


def _dropout_graph(ratio, training, outputs: int, dtype=np.float32):
    """x -> Dropout -> loss = sum(y * cot); returns the builder, x, training input, cot, node."""
    b = GraphBuilder()
    x = b.input("x", (None, 64), dtype)
    mode = (
        b.input("training", (), np.bool_)
        if training == "input"
        else (None if training is None else b.constant(np.array(training)))
    )
    cot = RNG.standard_normal((1, 64)).astype(dtype)
    inputs = [x, b.constant(np.array(ratio, dtype=dtype)), mode]
    outs = b.op("Dropout", inputs if mode is not None else inputs[:2], num_outputs=outputs)
    y = outs[0] if outputs > 1 else outs
    loss = b.op("ReduceSum", [b.op("Mul", [y, b.constant(cot)])], {"keepdims": 0})
    b.output(loss, "loss")
    return b, x, mode, cot, y.producer()


@pytest.mark.parametrize("outputs", [1, 2])
def test_dropout_uses_the_mask_the_forward_sampled(outputs):
    ratio = 0.3
    b, x, _, cot, node = _dropout_graph(ratio, True, outputs)
    ensure_shapes(b.graph)
    (grad,) = gradients(b, b.graph.outputs[0], [x])
    assert len(node.outputs) == 2  # the mask output exists (added when it was not requested)
    b.output(grad, "grad")
    b.output(node.outputs[0], "y")
    b.output(node.outputs[1], "mask")
    run = session(serde.to_bytes(serde.to_model(b.graph)))
    feed = {"x": RNG.standard_normal((8, 64)).astype(np.float32)}
    got, y, mask = run.run(["grad", "y", "mask"], feed)
    assert 0.5 < mask.mean() < 0.9  # a real sample, not all kept
    np.testing.assert_allclose(got, cot * mask / (1 - ratio), rtol=1e-6)
    np.testing.assert_allclose(y, feed["x"] * mask / (1 - ratio), rtol=1e-6)
    mask_users = {use.node.op_type for use in node.outputs[1].uses()}
    assert "Cast" in mask_users  # the backward reads the forward node's own mask


def test_dropout_training_decided_at_run_time():
    ratio = 0.5
    b, x, _, cot, node = _dropout_graph(ratio, "input", 1)
    ensure_shapes(b.graph)
    (grad,) = gradients(b, b.graph.outputs[0], [x])
    b.output(grad, "grad")
    b.output(node.outputs[1], "mask")
    run = session(serde.to_bytes(serde.to_model(b.graph)))
    feed = {"x": RNG.standard_normal((4, 64)).astype(np.float32)}
    got, mask = run.run(["grad", "mask"], {**feed, "training": np.array(True)})
    np.testing.assert_allclose(got, cot * mask / (1 - ratio), rtol=1e-6)
    got, _ = run.run(["grad", "mask"], {**feed, "training": np.array(False)})
    np.testing.assert_allclose(got, np.broadcast_to(cot, got.shape), rtol=1e-6)


def test_dropout_mask_output_is_typed():
    b, x, _, _, node = _dropout_graph(0.2, True, 1)
    ensure_shapes(b.graph)
    gradients(b, b.graph.outputs[0], [x])
    assert node.outputs[1].dtype == ir.DataType.BOOL
