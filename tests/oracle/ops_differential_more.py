"""The sweep's calls with arguments of their own: linear algebra, matrix products, einsum,
normalizations and losses, splits, scatters and segments, counting, sorting, Fourier
transforms, windows and spaces, clip and the keyword forms of the element-wise ops."""

from __future__ import annotations

import numpy as np

from tests.oracle.ops_differential import call
from tests.oracle.ops_differential_cases import COL, F3, ROW, S0, B, F, G, H, I, J, N

RNG = np.random.default_rng(9)
SQ = (RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(np.float32)
SPD = np.einsum("bij,bkj->bik", SQ, SQ).astype(np.float32)
RHS = RNG.standard_normal((2, 3, 2)).astype(np.float32)
P = RNG.uniform(0.05, 0.95, (3, 4)).astype(np.float32)
T = (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float32)
IDS = np.array([0, 2, 0], np.int32)
V = RNG.standard_normal(5).astype(np.float32)
SIG = RNG.standard_normal((2, 16)).astype(np.float32)


def linalg_calls():
    tol = {"rtol": 1e-4, "atol": 1e-4}
    out = [call(f"linalg.{n}", SQ, **tol) for n in ("det", "inv")]
    out += [call(n, SQ, **tol) for n in ("slogdet", "logdet")]  # keras.ops only
    out += [call("linalg.cholesky", SPD, **tol)]
    out += [call("linalg.cholesky_inverse", SPD[0], **tol)]  # Keras' fails on a batch
    out += [
        call("linalg.solve", SQ, RHS, **tol),
        call("linalg.solve_triangular", np.tril(SQ), RHS, lower=True, **tol),
        call("linalg.qr", SQ[0], mode="complete", label="abs", compiled=False, values=False),
        # eager only (no ONNX operator): inside a model kgraph refuses them by design
        call("linalg.svd", SQ, compute_uv=False, compiled=False, **tol),
        call("linalg.eigh", SPD, label="vals", values=False, compiled=False),
        call("linalg.matrix_rank", SQ, compiled=False),
        call("linalg.pinv", SQ, compiled=False, **tol),
        call("linalg.lstsq", SQ[0], RHS[0], compiled=False, **tol),
        call("linalg.lu_factor", SQ[0], values=False, compiled=False),
    ]
    for label, kw in {
        "none": {},
        "fro": {"ord": "fro", "axis": (-2, -1)},
        "1-axis": {"ord": 1, "axis": -1},
        "inf-axis": {"ord": np.inf, "axis": 0},
        "0-axis": {"ord": 0, "axis": 1},
        "keep": {"axis": -1, "keepdims": True},
        "mat-inf": {"ord": np.inf, "axis": (1, 2)},
        "mat--1": {"ord": -1, "axis": (1, 2), "keepdims": True},
    }.items():
        out.append(call("linalg.norm", SQ, label=label, **tol, **kw))
    out.append(call("linalg.norm", I, label="int"))
    out.append(call("linalg.norm", SQ, ord="nuc", axis=(1, 2), label="nuc", compiled=False))
    out.append(call("norm", F, ord=2, axis=-1, label="ops"))
    return out


def matrix_calls():
    out = [
        call("matmul", F, G.T, label="f32"),
        call("matmul", I, J.T, label="i32"),
        call("matmul", F3, ROW, label="vec"),
        call("matmul", H, G.T, label="f16-f32"),
        call("matmul", B, B.T, label="bool"),
        call("dot", F, G.T),
        call("dot", F, 2.0, label="scalar"),
        call("dot", I, ROW, label="mixed"),
        call("tensordot", F3, G.T, axes=1),
        call("tensordot", F3, F3, axes=([1, 2], [1, 2]), label="lists"),
        call("inner", F, G),
        call("outer", ROW, COL),
        call("kron", I[:2, :2], F[:2, :2]),
        call("cross", F[:, :3], G[:, :3]),
        call("cross", F3[:, :, :3], G[None, :, :3], label="bcast"),
        call("vdot", ROW, ROW),
        call("trace", F3, offset=1, axis1=0, axis2=2),
        call("trace", I, label="int"),
        call("tril", F3, k=-1),
        call("triu", I, k=1),
        call("diag", ROW, k=-1),
        call("diag", F, label="2d"),
        call("diagonal", F3, offset=-1, axis1=-1, axis2=0),
        call("diagflat", F[:2, :2], k=1),
        call("vander", ROW, N=3, increasing=True),
        call("correlate", V, V[:3], mode="full"),
        call("correlate", V, V[:3], label="valid"),
        call("corrcoef", F),
        call("cdist", F, G, p=1.0),
        call("einsum", "ij,kj->ik", F, G),
        call("einsum", "bij,j->bi", F3, ROW, label="vec"),
        call("einsum", "ii->i", F[:3, :3], label="diag"),
        call("einsum", "ij->", I, label="int-sum"),
        call("einsum", "...j,j->...", F3, ROW, label="ellipsis"),
        call("einsum", "ij,jk", F, G.T, label="implicit"),
    ]
    return out


def nn_calls():
    out = [
        call("softmax", F3, axis=(0, 2), label="tuple"),
        call("softmax", F3, axis=0, label="axis0"),
        call("gelu", F, approximate=False, label="exact"),
        call("leaky_relu", F, negative_slope=0.1, label="kw"),
        call("elu", F, alpha=0.5, label="kw"),
        call("celu", F, alpha=2.0, label="kw"),
        call("glu", F3, axis=1, label="odd-axis"),
        call("hard_shrink", F, threshold=1.0, label="kw"),
        call("soft_shrink", F, threshold=0.2, label="kw"),
        call("threshold", F, 0.5, -1.0),
        call("threshold", I, 1, 0, label="int"),
        call("threshold", I, 1, 2.5, label="int-float"),
        call("threshold", H, 0.5, 2.0, label="f16"),
        call("squareplus", F, b=1, label="kw"),
        call("activations.relu", F, negative_slope=0.1, max_value=1.0, threshold=0.2, label="kw"),
        call("activations.gelu", F, approximate=True, label="kw"),
        call("moments", F3, axes=(0, 2)),
        call("moments", F3, axes=[-1], keepdims=True, label="keep"),
        call("moments", H, axes=0, label="f16"),
        call("batch_normalization", F3, F3[0, :, 0], P[:, 0], axis=1, offset=F3[1, :, 0]),
        call("layer_normalization", F3, F3[0, 0], F3[1, 0], epsilon=1e-3),
        call("rms_normalization", F3, scale=F3[0, 0]),
        call("normalize", F3, axis=-1, order=1),
        call("normalize", I, label="int"),
        call("binary_crossentropy", T, P),
        call("binary_crossentropy", T, P * 4 - 2, from_logits=True, label="logits"),
        call("categorical_crossentropy", T, P, axis=0),
        call("sparse_categorical_crossentropy", IDS, P, from_logits=True),
        call("multi_hot", np.array([[0, 3], [2, 2]]), 5, axis=0),
        call("psnr", P, P * 0.9, 1.0),
    ]
    return out


def split_scatter_calls():
    return [
        call("split", F, 2, axis=1),
        call("split", F3, [1, 3], axis=-1, label="points"),
        call("split", F, 3, label="uneven-err"),
        call("array_split", F, 3, axis=-1),
        call("hsplit", F, 2),
        call("vsplit", F3, 2),
        call("dsplit", F3, [1]),
        call("unstack", F3, axis=-1),
        call("unstack", F, num=3, label="num"),
        call("scatter", np.array([[0, 1], [0, 1]]), np.array([1.0, 2.0], np.float32), (2, 3)),
        call("scatter_update", F, np.array([[0, 1], [2, 3]]), np.array([9.0, 8.0], np.float32)),
        call("slice_update", F, (1, 1), np.ones((2, 2), np.float32)),
        call("segment_sum", F, IDS, num_segments=3),
        call("segment_max", F, IDS, num_segments=4, label="empty-seg"),
        call("segment_sum", I, np.array([0, 0, 1]), num_segments=2, sorted=True, label="int"),
        call("segment_prod", F, IDS, num_segments=3),
        call("segment_min", F, IDS, num_segments=3),
    ]


def counting_sorting_calls():
    return [
        call("bincount", np.array([0, 3, 3, 1], np.int32), minlength=6),
        call("bincount", IDS, weights=np.ones(3, np.float32), minlength=4, label="w"),
        call("histogram", V, bins=4, range=(-2.0, 2.0)),
        call("unique", I, compiled=False),
        call("nonzero", I, compiled=False),
        call("unravel_index", np.array([1, 5, 7], np.int32), (3, 4)),
        call("sort", F3, axis=-2),
        call("argsort", I, axis=0),
        call("argpartition", F, 2, axis=-1, values=False),
        call("top_k", F, 2, sorted=True),
        call("top_k", I, k=3, label="int"),
        call("in_top_k", np.array([0, 1, 2]), F, 2),
        call("isin", I, J),
        call("isin", I, J, invert=True, label="invert"),
        call("searchsorted", np.sort(ROW), F, side="right"),
        call("digitize", F, np.array([-1.0, 0.0, 1.0], np.float32)),
        call("take_along_axis", F, np.argsort(F, axis=1), axis=1),
        call("take_along_axis", F, np.argsort(F, axis=None), axis=None, label="none"),
        call("select", [F > 0.5, F < -0.5], [F, -F], 0.0),
    ]


def fft_space_calls():
    tol = {"rtol": 1e-4, "atol": 1e-4}
    return [
        call("fft", (F, G), **tol),
        call("fft2", (F3, F3), **tol),
        call("ifft2", (F3, F3), **tol),
        call("rfft", F, fft_length=6, **tol),
        call("irfft", (F, G), fft_length=5, **tol),
        call("stft", SIG, 8, 4, 8, **tol),
        call("logspace", 0.0, 2.0, 5, base=2.0),
        call("logspace", 0, 2, 4, endpoint=False, label="int"),
        call("geomspace", 1.0, 100.0, 3),
        call("hamming", 6),
        call("hanning", 5),
        call("bartlett", 5),
        call("blackman", 7),
        call("kaiser", 6, 3.0),
        call("view_as_real", np.array([1 + 2j, 3 - 1j], np.complex64), compiled=False),
        call("polar", P, F, compiled=False),
    ]


def keyword_calls():
    return [
        call("clip", F, -0.5, 0.5),
        call("clip", I, -1, 2, label="int"),
        call("clip", I, -1.5, 2.5, label="int-float"),
        call("clip", B, 0, 1, label="bool"),
        call("clip", 3, 0, 2, label="py-int"),
        call("round", F * 10, decimals=1, label="decimals"),
        call("round", I, decimals=-1, label="int-neg"),
        call("nan_to_num", N, nan=1.0, posinf=2.0, neginf=-2.0),
        call("nan_to_num", I, label="int"),
        call("isclose", F, F + 1e-6, rtol=0.0, atol=1e-7, equal_nan=True),
        call("allclose", N, N, equal_nan=True),
        call("count_nonzero", I, axis=(0, 1)),
        call("logsumexp", F3, axis=(0, -1), keepdims=True),
        call("max", F, axis=0, initial=1.0, label="initial"),
        call("min", I, initial=-2, label="initial"),
        call("prod", I, axis=1, dtype="float32", label="dtype"),
        call("where", F > 0, F, 0, label="pyint-branch"),
        call("where", S0 > 0, 1.5, I, label="0d"),
        call("var", F, axis=None, keepdims=True, label="kw"),
        call("std", I, axis=-1, label="int"),
        call("average", F, axis=0, weights=ROW[:3], label="w1d"),
        call("trapezoid", F, x=ROW, axis=-1, label="x"),
        call("diff", F, n=1, axis=0, prepend=None, label="kw"),
        call("cumsum", I, axis=-1, dtype="float32", label="dtype"),
        call("cumprod", B, axis=0, label="bool"),
        call("median", F3, axis=(0, 2), keepdims=True, label="tuple"),
        call("quantile", F, 0.5, method="lower", label="lower"),
        call("quantile", F, 0.5, method="higher", label="higher"),
        call("quantile", F, 0.5, axis=0, method="midpoint", label="mid"),
    ]


def more_calls():
    from tests.oracle.ops_differential_edges import (
        dtype_calls,
        error_calls,
        python_value_calls,
    )

    return (
        linalg_calls()
        + matrix_calls()
        + nn_calls()
        + split_scatter_calls()
        + counting_sorting_calls()
        + fft_space_calls()
        + keyword_calls()
        + error_calls()
        + dtype_calls()
        + python_value_calls()
    )
