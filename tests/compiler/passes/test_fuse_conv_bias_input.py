import numpy as np
import pytest

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.passes import FuseConvBiasInputPass
from kgraph.compiler.serde import to_model

RNG = np.random.default_rng(5)
TO_NHWC = [0, 2, 3, 1]


def _conv_nhwc(b, x, w):
    return b.op(
        "Transpose", [b.op("Conv", [x, b.constant(w)], {"kernel_shape": [3, 3]})], {"perm": TO_NHWC}
    )


@pytest.mark.parametrize("bias_first", [False, True])
def test_bias_input_moves_into_conv(check_pass, bias_first):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 3, 6, 6), "float32")
        bias = b.input("bias", (4,), "float32")
        y = _conv_nhwc(b, x, w)
        b.output(b.op("Add", [bias, y] if bias_first else [y, bias]), "out")

    feeds = {
        "x": RNG.standard_normal((2, 3, 6, 6)).astype(np.float32),
        "bias": RNG.standard_normal(4).astype(np.float32),
    }
    before, after, modified = check_pass(build, FuseConvBiasInputPass(), feeds)
    assert modified and before["Add"] == 1 and "Add" not in after and after["Transpose"] == 1


def test_broadcast_constant_bias_becomes_a_vector(check_pass):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    bias = RNG.standard_normal((1, 1, 4)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 3, 6, 6), "float32")
        b.output(b.op("Relu", [b.op("Add", [_conv_nhwc(b, x, w), b.constant(bias)])]), "out")

    feeds = {"x": RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)}
    _, after, modified = check_pass(build, FuseConvBiasInputPass(), feeds)
    assert modified and "Add" not in after


@pytest.mark.parametrize("shape", [(4, 4), (2, 1, 1, 4)])
def test_not_per_channel_is_left_alone(check_pass, shape):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 3, 6, 6), "float32")
        other = b.input("other", shape, "float32")
        b.output(b.op("Add", [_conv_nhwc(b, x, w), other]), "out")

    feeds = {
        "x": RNG.standard_normal((2, 3, 6, 6)).astype(np.float32),
        "other": RNG.standard_normal(shape).astype(np.float32),
    }
    before, after, modified = check_pass(build, FuseConvBiasInputPass(), feeds)
    assert not modified and after == before


def test_conv_with_bias_or_shared_output_is_left_alone(check_pass):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    own = RNG.standard_normal(4).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 3, 6, 6), "float32")
        bias = b.input("bias", (4,), "float32")
        conv = b.op("Conv", [x, b.constant(w), b.constant(own)], {"kernel_shape": [3, 3]})
        y = b.op("Transpose", [conv], {"perm": TO_NHWC})
        b.output(b.op("Add", [y, bias]), "out")
        b.output(b.op("Relu", [conv]), "conv")

    feeds = {
        "x": RNG.standard_normal((2, 3, 6, 6)).astype(np.float32),
        "bias": RNG.standard_normal(4).astype(np.float32),
    }
    _, after, modified = check_pass(build, FuseConvBiasInputPass(), feeds)
    assert not modified and after["Add"] == 1


def test_graph_output_keeps_its_name(check_pass):
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 3, 6, 6), "float32")
        b.output(b.op("Add", [_conv_nhwc(b, x, w), b.input("bias", (4,), "float32")]), "out")

    b = GraphBuilder()
    build(b)
    model = to_model(b.graph)
    assert FuseConvBiasInputPass()(model).modified
    assert [o.name for o in model.graph.outputs] == ["out"]
