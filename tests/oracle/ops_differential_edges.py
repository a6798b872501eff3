"""The sweep's edge calls: what Keras refuses (same exception type), the other families on
int, bool and float16 tensors, and Python scalars and lists as tensors."""

from __future__ import annotations

import numpy as np

from tests.oracle.ops_differential import call
from tests.oracle.ops_differential_cases import F3, ROW, B, F, G, H, I, J
from tests.oracle.ops_differential_more import IDS, RHS, RNG, SQ


def error_calls():
    """Calls Keras refuses: kgraph must refuse them with the same exception type. (Left out:
    shape mismatches of matmul/tensordot, where JAX's eager TypeError is not Keras' ValueError;
    q outside [0, 1] and unstack's wrong ``num``, which JAX lets pass and numpy refuses.)"""
    bad = RNG.standard_normal(5).astype(np.float32)
    return [
        call("add", F, bad, label="bcast-err"),
        call("sum", F, axis=2, label="axis-err"),
        call("mean", F, axis=-3, label="axis-err"),
        call("argmax", F, axis=2, label="axis-err"),
        call("cumsum", F, axis=2, label="axis-err"),
        call("softmax", F, axis=2, label="axis-err"),
        call("top_k", F, 5, label="k-err"),
        call("quantile", F, 0.5, method="bogus", label="method-err"),
        call("einsum", "ij,jk->ik", F, label="operands-err"),
        call("linalg.solve", SQ, RHS[:, :2], label="shape-err"),
        call("linalg.norm", F, ord="fro", axis=0, label="ord-err"),
        call("diag", F3, label="rank-err"),
        call("split", F, 3, axis=1, label="uneven-axis1-err"),
        call("isclose", F, bad, label="bcast-err"),
    ]


def dtype_calls():
    """The other families on int, bool and float16 tensors (Keras' promotions)."""
    return [
        call("linalg.inv", (SQ * 4).astype(np.int32), label="int", rtol=1e-4, atol=1e-4),
        call("linalg.det", SQ.astype(np.float16), label="f16", rtol=1e-2, atol=1e-2),
        call("linalg.norm", B, label="bool"),
        call("linalg.norm", H, axis=-1, label="f16"),
        call("dot", B, B.T, label="bool"),
        call("einsum", "ij,kj->ik", B, B, label="bool"),
        call("vdot", B[0], B[0], label="bool"),
        call("tensordot", I, F.T, axes=1, label="int-float"),
        call("outer", I[0], B[0], label="int-bool"),
        call("kron", B[:2, :2], B[:2, :2], label="bool"),
        call("trace", B, label="bool"),
        call("cross", I[:, :3], J[:, :3], label="int"),
        call("einsum", "ij,ij->i", I, H, label="int-f16"),
        call("moments", I, axes=[0], label="int"),
        call("normalize", H, label="f16"),
        call("segment_sum", B, IDS, num_segments=3, label="bool"),
        call("segment_max", I, IDS, num_segments=3, label="int"),
        call("scatter_update", I, np.array([[0, 1]]), np.array([7], np.int32), label="int"),
        call("slice_update", H, (0, 0), np.ones((1, 2), np.float16), label="f16"),
        call("fft", (I.astype(np.float32), G), label="cast"),
        call("split", I, 2, axis=-1, label="int"),
        call("array_split", B, 2, axis=0, label="bool"),
        call("top_k", H, 2, label="f16"),
        call("argsort", B, label="bool"),
        call("searchsorted", np.sort(ROW), I, label="int"),
        call("digitize", I, np.array([-1, 0, 2], np.int32), label="int"),
        call("bincount", np.array([0, 3, 3, 1], np.int32), minlength=5, label="i32"),
        # Keras' bin edges are off by an ulp (1.0000001), moving values across edges
        call("histogram", I.astype(np.float32).ravel(), bins=3, label="int-vals", values=False),
        call("select", [B, ~B], [I, J], 0, label="int"),
        call("round", H, decimals=1, label="f16-decimals"),
        call("clip", H, -0.5, 0.5, label="f16"),
        call("nan_to_num", H, label="f16"),
        call("logsumexp", I, label="int"),
        call("logsumexp", H, axis=0, label="f16"),
        call("cumprod", H, axis=0, label="f16"),
        call("average", I, weights=J, label="int-w"),
    ]


def python_value_calls():
    """Python scalars and lists as the tensors (Keras converts them: ints int32, floats
    floatx). Left out: lists that JAX refuses (where, any, count_nonzero, logsumexp, softmax)."""
    return [
        call("add", 1, 2, label="py"),
        call("add", 1.5, 2, label="py-float"),
        call("add", [1, 2], 3, label="list"),
        call("multiply", [1.5, 2], [2, 3], label="lists"),
        call("equal", 1, 1.0, label="py"),
        call("divide", 1, 2, label="py"),
        call("floor_divide", 7, 2, label="py"),
        call("power", 2, 3, label="py"),
        call("power", 2.0, [1, 2], label="list"),
        call("maximum", 1, 2.5, label="py"),
        call("sqrt", 4, label="py"),
        call("exp", [0.0, 1.0], label="list"),
        call("square", 3, label="py"),
        call("abs", -3, label="py"),
        call("negative", 3, label="py"),
        call("sign", -2.5, label="py"),
        call("round", 2.5, label="py"),
        call("ceil", 2, label="py"),
        call("sum", [1, 2, 3], label="list"),
        call("max", [1.0, 2.0], label="list"),
        call("mean", [1, 2, 3], label="list"),
        call("prod", [1, 2, 3], label="list"),
        call("std", [1, 2, 3], label="list"),
        call("median", [1, 2, 3, 4], label="list"),
        call("argmax", [3, 1, 4], label="list"),
        call("sort", [3, 1, 2], label="list"),
        call("cumsum", [1, 2, 3], label="list"),
        call("clip", [1, 5, 9], 2, 6, label="list"),
        call("relu", [-1, 2], label="list"),
        call("logical_and", [1, 0], [1, 1], label="list"),
        call("convert_to_tensor", [1, 2], sparse=False, ragged=False, label="flags"),
        call("convert_to_tensor", [1.5], dtype="float16", label="dtype"),
    ]
