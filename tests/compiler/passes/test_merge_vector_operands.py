import numpy as np
import onnx_ir as ir
import onnx_ir.passes.common as common

from kgraph.compiler.passes.merge_vector_operands import MergeVectorOperandsPass

RNG = np.random.default_rng(12)


def _pipeline():
    return ir.passes.PassManager([MergeVectorOperandsPass(), common.RemoveUnusedNodesPass()])


def _shaped(value, dims):
    value.shape = ir.Shape(dims)  # as the traced graph has them
    return value


def _int64(b, values):
    return b.constant(np.array(values, dtype=np.int64))


def test_batch_norm_centring_is_computed_once(check_pass):
    """The traced BatchNormalization shape: the mean goes around a layout chain and back."""

    def build(b):
        x = b.input("x", (2, 3, 4, 5), "float32")
        scale = b.input("scale", (1, 3, 1, 1), "float32")
        mean = b.op("ReduceMean", [x, _int64(b, [0, 2, 3])], {"keepdims": 1})
        mean = _shaped(mean, [1, 3, 1, 1])
        chain = _shaped(b.op("Transpose", [mean], {"perm": [0, 2, 3, 1]}), [1, 1, 1, 3])
        chain = _shaped(b.op("Reshape", [chain, _int64(b, [3])]), [3])
        chain = _shaped(b.op("Reshape", [chain, _int64(b, [1, 1, 1, 3])]), [1, 1, 1, 3])
        chain = _shaped(b.op("Transpose", [chain], {"perm": [0, 3, 1, 2]}), [1, 3, 1, 1])
        centred = b.op("Sub", [x, mean])
        again = b.op("Sub", [x, chain])
        b.output(b.op("ReduceMean", [b.op("Mul", [centred, centred])]), "variance")
        b.output(b.op("Mul", [again, scale]), "y")

    feeds = {
        "x": RNG.standard_normal((2, 3, 4, 5)).astype(np.float32),
        "scale": RNG.standard_normal((1, 3, 1, 1)).astype(np.float32),
    }
    before, after, modified = check_pass(build, _pipeline(), feeds)
    assert modified and before["Sub"] == 2 and after["Sub"] == 1
    assert after["Transpose"] == 0 and after["Reshape"] == 0


def test_chains_that_reorder_elements_are_kept(check_pass):
    def build(b):
        x = b.input("x", (2, 3), "float32")
        v = b.input("v", (2, 3), "float32")
        swapped = _shaped(b.op("Transpose", [v], {"perm": [1, 0]}), [3, 2])
        flipped = _shaped(b.op("Reshape", [swapped, _int64(b, [2, 3])]), [2, 3])
        b.output(b.op("Sub", [x, flipped]), "a")
        b.output(b.op("Sub", [x, v]), "b")

    feeds = {k: RNG.standard_normal((2, 3)).astype(np.float32) for k in ("x", "v")}
    _, after, modified = check_pass(build, _pipeline(), feeds)
    assert not modified and after["Sub"] == 2 and after["Transpose"] == 1
