import numpy as np
import onnx_ir as ir

from kgraph.compiler.passes import ElideExpandPass

RNG = np.random.default_rng(4)


def _shaped(value, dims):
    value.shape = ir.Shape(dims)
    return value


def test_expand_read_by_full_sized_mul_and_sum_is_dropped(check_pass):
    """The BatchNormalization backward shape: a (1, C, 1, 1) mean cotangent spread over x."""

    def build(b):
        x = b.input("x", (2, 3, 4, 5), "float32")
        u = b.input("u", (2, 3, 4, 5), "float32")
        m = b.input("m", (1, 3, 1, 1), "float32")
        e = _shaped(b.op("Expand", [m, b.op("Shape", [x])]), [2, 3, 4, 5])
        b.output(b.op("Mul", [e, u]), "product")
        b.output(b.op("Sum", [x, u, e]), "total")

    feeds = {
        k: RNG.standard_normal(s).astype(np.float32)
        for k, s in (("x", (2, 3, 4, 5)), ("u", (2, 3, 4, 5)), ("m", (1, 3, 1, 1)))
    }
    before, after, modified = check_pass(build, ElideExpandPass(), feeds)
    assert modified and before["Expand"] == 1 and after["Expand"] == 0


def test_expand_kept_when_no_other_operand_has_its_shape(check_pass):
    def build(b):
        x = b.input("x", (2, 3, 4, 5), "float32")
        m = b.input("m", (1, 3, 1, 1), "float32")
        v = b.input("v", (1, 3, 1, 5), "float32")
        e = _shaped(b.op("Expand", [m, b.op("Shape", [x])]), [2, 3, 4, 5])
        b.output(b.op("Mul", [e, v]), "product")  # (1, 3, 1, 5) alone would not give x's shape
        b.output(b.op("Relu", [e]), "relu")  # not a broadcasting reader

    feeds = {
        k: RNG.standard_normal(s).astype(np.float32)
        for k, s in (("x", (2, 3, 4, 5)), ("m", (1, 3, 1, 1)), ("v", (1, 3, 1, 5)))
    }
    _, after, modified = check_pass(build, ElideExpandPass(), feeds)
    assert not modified and after["Expand"] == 1


def test_symbolic_batch_dims_match_by_name():
    """Named symbolic dims count as known: a symbolic batch does not block the rewrite."""
    from kgraph.compiler import serde
    from kgraph.compiler.builder import GraphBuilder

    b = GraphBuilder()
    x = b.input("x", ("batch", 3), "float32")
    m = b.input("m", (1, 3), "float32")
    e = _shaped(b.op("Expand", [m, b.op("Shape", [x])]), [ir.SymbolicDim("batch"), 3])
    b.output(b.op("Add", [_shaped(b.op("Neg", [x]), [ir.SymbolicDim("batch"), 3]), e]), "y")
    result = ElideExpandPass()(serde.to_model(b.graph))
    assert result.modified
    assert not any(n.op_type == "Expand" for n in result.model.graph)
