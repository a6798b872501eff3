"""Reverse-mode automatic differentiation over ``onnx_ir`` graphs, in standard ONNX ops.

``gradients(b, loss, wrt)`` appends the backward pass to the graph ``b`` wraps; each op's
gradient comes from a rule in :data:`RULES` (see :mod:`compiler.autodiff.registry`).
"""

from kgraph.compiler.autodiff.backward import gradients
from kgraph.compiler.autodiff.registry import (
    NON_DIFFERENTIABLE,
    RULES,
    differentiable_op_types,
    handled_op_types,
    rule,
)
from kgraph.compiler.autodiff.shapes import ensure_shapes
from kgraph.compiler.autodiff.unbroadcast import unbroadcast

__all__ = [
    "NON_DIFFERENTIABLE",
    "RULES",
    "differentiable_op_types",
    "ensure_shapes",
    "gradients",
    "handled_op_types",
    "rule",
    "unbroadcast",
]
