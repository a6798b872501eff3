import numpy as np

from kgraph.compiler.passes import CancelTransposesPass

RNG = np.random.default_rng(0)


def test_inverse_pair_disappears(check_pass):
    def build(b):
        x = b.input("x", (2, 3, 4, 5), "float32")
        y = b.op("Transpose", [x], {"perm": [0, 2, 3, 1]})
        z = b.op("Transpose", [y], {"perm": [0, 3, 1, 2]})
        b.output(b.op("Relu", [z]), "out")

    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    before, after, modified = check_pass(build, CancelTransposesPass(), {"x": x})
    assert modified and before["Transpose"] == 2 and after["Transpose"] == 0


def test_two_perms_compose_into_one(check_pass):
    def build(b):
        x = b.input("x", (2, 3, 4), "float32")
        y = b.op("Transpose", [x], {"perm": [1, 0, 2]})
        b.output(b.op("Transpose", [y], {"perm": [0, 2, 1]}), "out")

    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    before, after, _ = check_pass(build, CancelTransposesPass(), {"x": x})
    assert before["Transpose"] == 2 and after["Transpose"] == 1


def test_shared_first_transpose_is_kept(check_pass):
    def build(b):
        x = b.input("x", (2, 3, 4), "float32")
        y = b.op("Transpose", [x], {"perm": [0, 2, 1]})
        z = b.op("Transpose", [y], {"perm": [0, 2, 1]})
        b.output(b.op("Add", [z, x]), "out")
        b.output(b.op("Neg", [y]), "other")

    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    before, after, _ = check_pass(build, CancelTransposesPass(), {"x": x})
    assert before["Transpose"] == 2 and after["Transpose"] == 1
