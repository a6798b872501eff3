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


def test_repeated_transposes_of_one_initializer_share_folds(check_pass):
    """Several readers of one kernel (the feature-extractor pattern) must not clash on names."""
    kernel = RNG.standard_normal((3, 4)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 4), "float32")
        y = b.input("y", (2, 3), "float32")
        k = b.parameter("dense/kernel", kernel)
        w1 = b.op("Transpose", [k], {"perm": [1, 0]})
        w2 = b.op("Transpose", [k], {"perm": [1, 0]})
        w3 = b.op("Transpose", [k], {"perm": [1, 0]})
        b.output(b.op("MatMul", [x, w1]), "a")
        b.output(b.op("MatMul", [x, w2]), "b")
        b.output(b.op("MatMul", [y, b.op("Transpose", [w3], {"perm": [1, 0]})]), "c")

    feeds = {
        "x": RNG.standard_normal((2, 4)).astype(np.float32),
        "y": RNG.standard_normal((2, 3)).astype(np.float32),
    }
    _, after, modified = check_pass(build, FoldConstantTransposesPass(), feeds)
    assert modified and after["Transpose"] <= 1


def test_feature_extractor_over_three_convs_predicts():
    import kgraph as keras

    convs = [keras.layers.Conv2D(2, 3, padding="same") for _ in range(3)]
    seq = keras.Sequential([keras.Input((6, 6, 3)), *convs])
    extractor = keras.Model(inputs=seq.inputs, outputs=[layer.output for layer in seq.layers])
    x = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)
    outs = extractor.predict(x, verbose=0)
    h = x
    for conv, out in zip(convs, outs):  # numpy reference: same-padded 3x3 correlation + bias
        kernel, bias = (np.asarray(w) for w in conv.get_weights())
        padded = np.pad(h, ((0, 0), (1, 1), (1, 1), (0, 0)))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
        h = np.einsum("bhwcij,ijco->bhwo", windows, kernel) + bias
        np.testing.assert_allclose(out, h, rtol=1e-4, atol=1e-5)
