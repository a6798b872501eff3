import numpy as np

from kgraph.compiler.passes import DeduplicateTransposesPass

RNG = np.random.default_rng(3)
TO_NCHW = [0, 3, 1, 2]


def test_two_convs_reading_one_input_share_its_transpose(check_pass):
    def build(b):
        x = b.input("x", (2, 4, 5, 3), "float32")
        a = b.op("Relu", [b.op("Transpose", [x], {"perm": TO_NCHW})])
        c = b.op("Neg", [b.op("Transpose", [x], {"perm": TO_NCHW})])
        b.output(b.op("Add", [a, c]), "out")

    x = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    before, after, modified = check_pass(build, DeduplicateTransposesPass(), {"x": x})
    assert modified and before["Transpose"] == 2 and after["Transpose"] == 1


def test_other_perms_and_graph_outputs_are_kept(check_pass):
    def build(b):
        x = b.input("x", (2, 4, 5, 3), "float32")
        b.output(b.op("Transpose", [x], {"perm": TO_NCHW}), "first")
        b.output(b.op("Transpose", [x], {"perm": TO_NCHW}), "second")
        b.output(b.op("Relu", [b.op("Transpose", [x], {"perm": [0, 2, 1, 3]})]), "other")

    x = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    _, after, modified = check_pass(build, DeduplicateTransposesPass(), {"x": x})
    assert not modified and after["Transpose"] == 3
