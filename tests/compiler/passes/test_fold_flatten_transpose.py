import numpy as np
import onnx_ir as ir
import pytest

from kgraph.compiler.builder import GraphBuilder
from kgraph.compiler.passes import FoldFlattenTransposePass
from kgraph.compiler.passes.fold_flatten_transpose import kernel_row_permutation
from kgraph.compiler.serde import to_model

RNG = np.random.default_rng(7)


def _ints(*shape):
    """Small integers as float32: every summation order gives the exact same result, and the
    fold does reorder the terms of each dot product."""
    return RNG.integers(-3, 4, shape).astype(np.float32)


@pytest.mark.parametrize(
    "dims, perm",
    [
        ((5, 3, 4), [0, 2, 3, 1]),
        ((5, 3, 4), [0, 3, 1, 2]),
        ((6, 7), [0, 2, 1]),
        ((2, 3, 4, 5), [0, 2, 3, 4, 1]),
    ],
)
def test_row_permutation_matches_numpy(dims, perm):
    x = RNG.standard_normal((2, *dims))
    features = int(np.prod(dims))
    w = RNG.standard_normal((features, 3))
    split, order = kernel_row_permutation(list(dims), perm, 3)
    permuted = w.reshape(split).transpose(order).reshape(features, 3)
    np.testing.assert_allclose(x.reshape(2, -1) @ permuted, x.transpose(perm).reshape(2, -1) @ w)


@pytest.mark.parametrize("target", [[0, -1], [0, 60], [-1, 60], [2, -1]])
def test_constant_kernel_is_permuted(check_pass, target):
    w = _ints(60, 7)

    def build(b):
        x = b.input("x", (2, 5, 3, 4), "float32")
        t = b.op("Transpose", [x], {"perm": [0, 2, 3, 1]})
        flat = b.op("Reshape", [t, b.constant(np.asarray(target, np.int64))])
        b.output(b.op("MatMul", [flat, b.parameter("dense/kernel", w)]), "out")

    feeds = {"x": _ints(2, 5, 3, 4)}
    before, after, modified = check_pass(build, FoldFlattenTransposePass(), feeds)
    assert modified and before["Transpose"] == 1 and "Transpose" not in after


@pytest.mark.parametrize("dims, perm", [((5, 3, 4), [0, 2, 3, 1]), ((6, 7), [0, 2, 1])])
def test_kernel_input_gets_a_small_permutation(check_pass, dims, perm):
    features = int(np.prod(dims))

    def build(b):
        x = b.input("x", (None, *dims), "float32")
        kernel = b.input("kernel", (features, 3), "float32")
        t = b.op("Transpose", [x], {"perm": perm})
        t.shape = None
        flat = b.op("Reshape", [t, b.constant(np.asarray([0, -1], np.int64))])
        b.output(b.op("MatMul", [flat, kernel]), "out")

    feeds = {"x": _ints(3, *dims), "kernel": _ints(features, 3)}
    _, after, modified = check_pass(build, FoldFlattenTransposePass(), feeds)
    assert modified and after["Transpose"] == 1 and after["Reshape"] == 3


def test_shape_known_only_after_the_transpose(check_pass):
    """After SinkTransposesPass the Transpose's input may have lost its shape; its output
    shape is enough."""
    w = _ints(60, 2)

    def build(b):
        x = b.input("x", (2, 5, 3, 4), "float32")
        t = b.op("Transpose", [b.op("Relu", [x])], {"perm": [0, 2, 3, 1]})
        t.shape = ir.Shape([2, 3, 4, 5])
        flat = b.op("Reshape", [t, b.constant(np.asarray([0, -1], np.int64))])
        b.output(b.op("MatMul", [flat, b.constant(w)]), "out")

    _, after, modified = check_pass(build, FoldFlattenTransposePass(), {"x": _ints(2, 5, 3, 4)})
    assert modified and "Transpose" not in after


OTHER_PATTERNS = {  # perm, Reshape target, kernel rows, also output the Transpose
    "batch_moves": ([1, 0, 2, 3], [0, -1], 24, False),
    "mixes_batch": ([0, 2, 3, 1], [-1, 30], 30, False),
    "not_flat": ([0, 2, 3, 1], [0, 3, 20], 20, False),
    "shared": ([0, 2, 3, 1], [0, -1], 60, True),
}


@pytest.mark.parametrize("case", sorted(OTHER_PATTERNS))
def test_other_patterns_are_left_alone(check_pass, case):
    perm, target, rows, shared = OTHER_PATTERNS[case]
    w = _ints(rows, 2)

    def build(b):
        x = b.input("x", (2, 5, 3, 4), "float32")
        t = b.op("Transpose", [x], {"perm": perm})
        flat = b.op("Reshape", [t, b.constant(np.asarray(target, np.int64))])
        b.output(b.op("MatMul", [flat, b.constant(w)]), "out")
        if shared:
            b.output(b.op("Relu", [t]), "t")

    feeds = {"x": _ints(2, 5, 3, 4)}
    before, after, modified = check_pass(build, FoldFlattenTransposePass(), feeds)
    assert not modified and after == before


def test_same_kernel_in_two_folds_gets_two_names():
    b = GraphBuilder()
    kernel = b.input("kernel", (60, 3), "float32")
    for i in range(2):
        x = b.input(f"x{i}", (2, 5, 3, 4), "float32")
        t = b.op("Transpose", [x], {"perm": [0, 2, 3, 1]})
        flat = b.op("Reshape", [t, b.constant(np.asarray([0, -1], np.int64))])
        b.output(b.op("MatMul", [flat, kernel]), f"out{i}")
    model = to_model(b.graph)
    assert FoldFlattenTransposePass()(model).modified
    names = [v.name for n in model.graph for v in n.outputs]
    assert len(names) == len(set(names))
