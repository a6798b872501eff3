"""FoldConvAffinePass: per-channel Sub/Mul/Add after a Conv fold into its weights and bias."""

from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
import pytest

import kgraph
from kgraph import layers
from kgraph.compiler.passes import FoldConvAffinePass

RNG = np.random.default_rng(5)


@pytest.mark.parametrize("group, bias", [(1, False), (1, True), (4, False)])
def test_batch_norm_steps_fold_into_the_conv(check_pass, group, bias):
    w = RNG.standard_normal((4, 4 // group, 3, 3)).astype(np.float32)
    consts = [RNG.standard_normal((4, 1, 1)).astype(np.float32) for _ in range(3)]
    b_vec = RNG.standard_normal(4).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 4, 6, 6), "float32")
        inputs = [x, b.constant(w)] + ([b.constant(b_vec)] if bias else [])
        y = b.op("Conv", inputs, {"kernel_shape": [3, 3], "group": group})
        y = b.op("Sub", [y, b.constant(consts[0])])
        y = b.op("Mul", [y, b.constant(consts[1])])
        b.output(b.op("Add", [b.constant(consts[2][None]), y]), "out")

    x = RNG.standard_normal((2, 4, 6, 6)).astype(np.float32)
    before, after, modified = check_pass(build, FoldConvAffinePass(), {"x": x})
    assert modified and before["Mul"] == 1
    assert dict(after) == {"Conv": 1}


@pytest.mark.parametrize(
    "op, other_shape, conv_first",
    [("Mul", (1, 4, 6, 6), True), ("Sub", (4, 1, 1), False), ("Add", (1, 1, 6, 1), True)],
)
def test_other_steps_are_left_alone(check_pass, op, other_shape, conv_first):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    other = RNG.standard_normal(other_shape).astype(np.float32)

    def build(b):
        x = b.input("x", (1, 3, 8, 8), "float32")
        y = b.op("Conv", [x, b.constant(w)], {"kernel_shape": [3, 3]})
        pair = [y, b.constant(other)] if conv_first else [b.constant(other), y]
        b.output(b.op(op, pair), "out")

    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    _, after, modified = check_pass(build, FoldConvAffinePass(), {"x": x})
    assert not modified and after[op] == 1


def _conv_net():
    inputs = kgraph.Input((8, 8, 3))
    y = layers.Conv2D(4, 3, use_bias=False)(inputs)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU(6.0)(y)
    y = layers.DepthwiseConv2D(3, padding="same")(y)
    y = layers.BatchNormalization(center=False)(y)
    model = kgraph.Model(inputs, y)
    rng = np.random.default_rng(0)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in model.weights])
    return model


def test_exported_conv_net_has_no_batch_norm_left(monkeypatch):
    model = _conv_net()
    graph = onnx.load_from_string(model.to_onnx_bytes()).graph
    kept = [n.op_type for n in graph.node if n.op_type not in ("Transpose", "Relu", "Clip")]
    assert kept == ["Conv", "Conv"]
    x = RNG.standard_normal((2, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x), rtol=1e-4, atol=1e-5)
    monkeypatch.setattr(FoldConvAffinePass, "call", lambda self, m: ir.passes.PassResult(m, False))
    other = _conv_net()
    unfolded = onnx.load_from_string(other.to_onnx_bytes()).graph
    assert "Mul" in {n.op_type for n in unfolded.node}
    # the output keeps the name of the last layer, as without the pass
    assert graph.output[0].name == model.layers[-1].name
    assert unfolded.output[0].name == other.layers[-1].name


def test_a_shared_weight_is_copied_not_changed(check_pass):
    w = RNG.standard_normal((4, 3, 1, 1)).astype(np.float32)
    scale = RNG.standard_normal((4, 1, 1)).astype(np.float32)

    def build(b):
        x = b.input("x", (1, 3, 5, 5), "float32")
        weight = b.constant(w)
        y = b.op("Conv", [x, weight], {"kernel_shape": [1, 1]})
        z = b.op("Conv", [x, weight], {"kernel_shape": [1, 1]})
        b.output(b.op("Mul", [y, b.constant(scale)]), "scaled")
        b.output(z, "plain")

    x = RNG.standard_normal((1, 3, 5, 5)).astype(np.float32)
    _, after, modified = check_pass(build, FoldConvAffinePass(), {"x": x})
    assert modified and dict(after) == {"Conv": 2}


def test_conv_transpose_bias_and_scale_fold(check_pass):
    w = RNG.standard_normal((3, 4, 3, 3)).astype(np.float32)  # (in, out, k, k)
    scale, shift = (RNG.standard_normal((1, 4, 1, 1)).astype(np.float32) for _ in range(2))

    def build(b):
        x = b.input("x", (2, 3, 4, 4), "float32")
        y = b.op("ConvTranspose", [x, b.constant(w)], {"kernel_shape": [3, 3], "strides": [2, 2]})
        b.output(b.op("Add", [b.op("Mul", [y, b.constant(scale)]), b.constant(shift)]), "out")

    x = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
    _, after, modified = check_pass(build, FoldConvAffinePass(), {"x": x})
    assert modified and dict(after) == {"ConvTranspose": 1}
