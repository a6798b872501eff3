"""Gradient rules, one module per op family; importing this package registers them all."""

from kgraph.compiler.autodiff.rules import (
    activation,
    arrays,
    conv,
    conv_transpose,
    einsum,
    elementwise,
    matmul,
    nn,
    pool,
    reduce,
    resize,
    sampling,
    scatter,
    shape,
    trig,
)

__all__ = [
    "activation",
    "arrays",
    "conv",
    "conv_transpose",
    "einsum",
    "elementwise",
    "matmul",
    "nn",
    "pool",
    "reduce",
    "resize",
    "sampling",
    "scatter",
    "shape",
    "trig",
]
