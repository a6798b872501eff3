import numpy as np

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.passes import FoldConstantTransposesPass

RNG = np.random.default_rng(2)


def test_parameter_transpose_folds_and_keeps_name(check_pass):
    kernel = RNG.standard_normal((3, 4)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 4), "float32")
        w = b.op("Transpose", [b.parameter("dense/kernel", kernel)], {"perm": [1, 0]})
        b.output(b.op("MatMul", [x, w]), "out")

    x = RNG.standard_normal((2, 4)).astype(np.float32)
    before, after, modified = check_pass(build, FoldConstantTransposesPass(), {"x": x})
    assert modified and before["Transpose"] == 1 and after["Transpose"] == 0
    b = GraphBuilder()
    build(b)
    model = FoldConstantTransposesPass()(serde.to_model(b.graph)).model
    assert list(model.graph.initializers) == ["dense/kernel"]
    assert model.graph.initializers["dense/kernel"].shape.dims == (4, 3)


def test_graph_input_is_not_folded(check_pass):
    def build(b):
        x = b.input("x", (2, 4), "float32")
        b.output(b.op("Transpose", [x], {"perm": [1, 0]}), "out")

    x = RNG.standard_normal((2, 4)).astype(np.float32)
    _, after, modified = check_pass(build, FoldConstantTransposesPass(), {"x": x})
    assert not modified and after["Transpose"] == 1
