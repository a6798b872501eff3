import logging

import numpy as np
import onnxruntime as ort

from kgraph.compiler import serde
from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.passes import FoldConstantsPass

RNG = np.random.default_rng(4)


def test_parameter_only_chain_folds_into_one_initializer(check_pass):
    variance = RNG.random(5).astype(np.float32)
    gamma = RNG.standard_normal(5).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 5), "float32")
        scale = b.op(
            "Div",
            [
                b.parameter("bn/gamma", gamma),
                b.op(
                    "Sqrt",
                    [
                        b.op(
                            "Add",
                            [
                                b.parameter("bn/moving_variance", variance),
                                b.constant(np.float32(1e-3)),
                            ],
                        )
                    ],
                ),
            ],
        )
        b.output(b.op("Mul", [x, scale]), "out")

    x = RNG.standard_normal((2, 5)).astype(np.float32)
    before, after, modified = check_pass(build, FoldConstantsPass(), {"x": x})
    assert modified and before["Sqrt"] == 1
    assert dict(after) == {"Mul": 1}
    b = GraphBuilder()
    build(b)
    model = FoldConstantsPass()(serde.to_model(b.graph)).model
    np.testing.assert_allclose(
        [
            v.const_value.numpy()
            for v in model.graph.initializers.values()
            if v.name not in ("bn/gamma", "bn/moving_variance")
        ][-1],
        gamma / np.sqrt(variance + 1e-3),
        rtol=1e-6,
    )


def test_unfolded_multi_output_constant_logs_nothing(check_pass, caplog):
    """A Split of a parameter (a ConvLSTM's gate kernels) is left unfolded by onnxscript,
    which logs a WARNING for it; the pass keeps that off the user's stderr. The graph still
    computes the same values."""
    kernel = RNG.standard_normal((4, 6)).astype(np.float32)

    def build(b):
        x = b.input("x", (2, 4), "float32")
        left, right = b.op(
            "Split",
            [b.parameter("cell/kernel", kernel)],
            {"axis": 1, "num_outputs": 2},
            num_outputs=2,
        )
        b.output(b.op("Add", [b.op("MatMul", [x, left]), b.op("MatMul", [x, right])]), "out")

    x = RNG.standard_normal((2, 4)).astype(np.float32)
    with caplog.at_level(logging.WARNING):
        check_pass(build, FoldConstantsPass(), {"x": x})
    assert not [r for r in caplog.records if r.name.startswith("onnxscript")]


def test_string_constants_are_left_unfolded():
    """onnxscript would fold an Unsqueeze of a string Constant (a TextVectorization's padding
    token) into a tensor that cannot be serialized; the pass leaves string nodes alone."""

    def build(b):
        x = b.input("x", (2,), "string")
        token = b.op("Constant", [], {"value_strings": ["pad"]})
        row = b.op("Unsqueeze", [token, b.constant(np.array([0], np.int64))])
        b.output(
            b.op("Concat", [x, b.op("Reshape", [row, b.constant(np.array([-1]))])], {"axis": 0}),
            "y",
        )

    b = GraphBuilder()
    build(b)
    result = FoldConstantsPass()(serde.to_model(b.graph))
    session = ort.InferenceSession(serde.to_bytes(result.model), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"x": np.array(["a", "b"], dtype=object)})
    assert got.tolist() == ["a", "b", "pad"]
