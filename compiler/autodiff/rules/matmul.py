"""Gradient rules of ``MatMul`` (numpy semantics, batch broadcasting) and ``Gemm``."""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import attr, const, input_at, ints, is_float, rank, swap_last
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.unbroadcast import unbroadcast


@rule("MatMul")
def _matmul(b, node, grads):
    """1-D operands are promoted to matrices (``(1, k)`` / ``(k, 1)``) as numpy does."""
    a, w = node.inputs
    g = grads[0]
    ra, rw = rank(a), rank(w)
    a2 = b.op("Unsqueeze", [a, ints(b, [0])]) if ra == 1 else a
    w2 = b.op("Unsqueeze", [w, ints(b, [1])]) if rw == 1 else w
    if ra == 1 or rw == 1:
        axes = [0, 1] if ra == rw == 1 else ([-2] if ra == 1 else [-1])
        g = b.op("Unsqueeze", [g, ints(b, axes)])
    mat_a = [1, *a.shape] if ra == 1 else list(a.shape)[-2:]
    mat_w = [*w.shape, 1] if rw == 1 else list(w.shape)[-2:]
    y = node.outputs[0]
    keep = (
        len(y.shape) - (2 if min(ra, rw) > 1 else 1 if max(ra, rw) > 1 else 0)
        if y.shape is not None
        else None
    )
    batch = list(y.shape)[:keep] if keep is not None else [None] * (max(ra, rw, 2) - 2)
    da = dw = None
    if is_float(a):  # a 1-D ``a`` sums the leading axes, the promoted 1 included
        da = b.op("MatMul", [g, swap_last(b, w2, max(rw, 2))])
        da = unbroadcast(b, da, a, batch + mat_a)
    dense = rw == 2 and ra > 2 and all(isinstance(d, int) for d in mat_w)
    if is_float(w) and dense:  # a kernel applied to every row: one GEMM over all rows
        rows = [
            b.op("Reshape", [a, ints(b, [-1, mat_a[-1]])]),
            b.op("Reshape", [g, ints(b, [-1, mat_w[-1]])]),
        ]
        dw = b.op("Gemm", rows, {"transA": 1})
    elif is_float(w):
        dw = b.op("MatMul", [swap_last(b, a2, max(ra, 2)), g])
        if rw == 1:
            dw = unbroadcast(b, b.op("Squeeze", [dw, ints(b, [-1])]), w, batch + mat_w[:1])
        else:
            dw = unbroadcast(b, dw, w, batch + mat_w)
    return [da, dw]


@rule("Gemm")
def _gemm(b, node, grads):
    """``Y = alpha * A' @ B' + beta * C`` with ``A' = Aᵀ`` when transA (``B'`` likewise)."""
    a, w = node.inputs[:2]
    c = input_at(node, 2)
    g = grads[0]
    alpha, beta = attr(node, "alpha", 1.0), attr(node, "beta", 1.0)
    ta, tb = attr(node, "transA", 0), attr(node, "transB", 0)
    scale = {"alpha": alpha, "beta": 0.0}
    if ta:
        da = b.op("Gemm", [w, g], {"transA": tb, "transB": 1, **scale})
    else:
        da = b.op("Gemm", [g, w], {"transA": 0, "transB": 1 - tb, **scale})
    if tb:
        dw = b.op("Gemm", [g, a], {"transA": 1, "transB": ta, **scale})
    else:
        dw = b.op("Gemm", [a, g], {"transA": 1 - ta, "transB": 0, **scale})
    dc = None
    if c is not None and is_float(c):
        gc = g if beta == 1.0 else b.op("Mul", [g, const(b, beta, c)])
        dc = unbroadcast(b, gc, c, node.outputs[0].shape)
    return [da, dw, dc][: len(node.inputs)]
