"""Gradient rules, one module per op family; importing this package registers them all."""

from kgraph.compiler.autodiff.rules import (
    conv,
    conv_transpose,
    elementwise,
    matmul,
    nn,
    pool,
    reduce,
    resize,
    sampling,
    shape,
)

__all__ = [
    "conv",
    "conv_transpose",
    "elementwise",
    "matmul",
    "nn",
    "pool",
    "reduce",
    "resize",
    "sampling",
    "shape",
]
