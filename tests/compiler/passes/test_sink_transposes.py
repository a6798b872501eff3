import numpy as np
import pytest

from compiler.passes import CancelTransposesPass, SinkTransposesPass

RNG = np.random.default_rng(1)
TO_NHWC, TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]


def _sink_and_cancel(model):
    SinkTransposesPass()(model)
    return CancelTransposesPass()(model)


@pytest.mark.parametrize("unary", ["Relu", "Sigmoid", "Tanh", "Neg"])
def test_pair_around_bias_and_activation_cancels(check_pass, unary):
    bias = RNG.standard_normal(5).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 5, 3, 4), "float32")
        y = b.op("Transpose", [x], {"perm": TO_NHWC})
        y = b.op(unary, [b.op("Add", [y, b.constant(bias)])])
        b.output(b.op("Transpose", [y], {"perm": TO_NCHW}), "out")

    x = RNG.standard_normal((2, 5, 3, 4)).astype(np.float32)
    before, after, modified = check_pass(build, _sink_and_cancel, {"x": x})
    assert modified and before["Transpose"] == 2 and after["Transpose"] == 0


def test_residual_add_of_two_transposes(check_pass):
    def build(b):
        x = b.input("x", (2, 5, 3, 4), "float32")
        a = b.op("Transpose", [b.op("Relu", [x])], {"perm": TO_NHWC})
        c = b.op("Transpose", [b.op("Neg", [x])], {"perm": TO_NHWC})
        b.output(b.op("Add", [a, c]), "out")

    x = RNG.standard_normal((2, 5, 3, 4)).astype(np.float32)
    before, after, _ = check_pass(build, SinkTransposesPass(), {"x": x})
    assert before["Transpose"] == 2 and after["Transpose"] == 1


def test_non_elementwise_consumer_stops_sinking(check_pass):
    def build(b):
        x = b.input("x", (2, 5, 3, 4), "float32")
        y = b.op("Transpose", [x], {"perm": TO_NHWC})
        b.output(b.op("Softmax", [y], {"axis": -1}), "out")

    x = RNG.standard_normal((2, 5, 3, 4)).astype(np.float32)
    before, after, modified = check_pass(build, SinkTransposesPass(), {"x": x})
    assert not modified and after == before


def test_graph_output_keeps_its_name(check_pass):
    def build(b):
        x = b.input("x", (2, 5, 3, 4), "float32")
        y = b.op("Transpose", [x], {"perm": TO_NHWC})
        b.output(b.op("Relu", [y]), "out")

    x = RNG.standard_normal((2, 5, 3, 4)).astype(np.float32)
    _, after, modified = check_pass(build, SinkTransposesPass(), {"x": x})
    assert modified and after["Transpose"] == 1
