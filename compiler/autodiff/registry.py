"""The table of gradient rules, keyed by ONNX op type (default domain).

A rule is a short function ``rule(b, node, grads) -> input_grads``: ``b`` is the
:class:`~compiler.builder.GraphBuilder` the backward nodes are appended to, ``node`` the forward
``ir.Node``, ``grads`` one gradient per node output (``None`` where the output gets no gradient)
and the result one gradient per node input (``None``: no gradient, i.e. zero). Rules read static
shapes from the forward values (``node.inputs[i].shape``), which shape inference filled in; the
gradient of a value always has that value's shape.

Ops in :data:`NON_DIFFERENTIABLE` produce values that carry no gradient (indices, masks, shapes,
random numbers, piecewise-constant functions): the backward sweep stops there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import onnx_ir as ir

from kgraph.compiler.builder import GraphBuilder

Rule = Callable[[GraphBuilder, ir.Node, Sequence[ir.Value | None]], list[ir.Value | None]]

RULES: dict[str, Rule] = {}

NON_DIFFERENTIABLE: set[str] = {
    # shapes, sizes and index computations
    "Shape",
    "Size",
    "Range",
    "NonZero",
    "EyeLike",
    "Constant",
    "ConstantOfShape",
    # comparisons and logic (boolean outputs)
    "Equal",
    "Greater",
    "GreaterOrEqual",
    "Less",
    "LessOrEqual",
    "Not",
    "And",
    "Or",
    "Xor",
    "IsNaN",
    "IsInf",
    # bitwise ops (integers only) and value-dependent sets
    "BitwiseAnd",
    "BitwiseOr",
    "BitwiseXor",
    "BitwiseNot",
    "BitShift",
    "Unique",
    # indices of extrema, one-hot encodings
    "ArgMax",
    "ArgMin",
    "OneHot",
    # piecewise-constant functions: zero gradient almost everywhere
    "Sign",
    "Floor",
    "Ceil",
    "Round",
    # random generators
    "RandomUniform",
    "RandomNormal",
    "RandomUniformLike",
    "RandomNormalLike",
    "Bernoulli",
    "Multinomial",
}


def rule(*op_types: str) -> Callable[[Rule], Rule]:
    """Registers the decorated function as the gradient rule of ``op_types``."""

    def register(fn: Rule) -> Rule:
        for op_type in op_types:
            if op_type in RULES:
                raise ValueError(f"A gradient rule for '{op_type}' is already registered.")
            RULES[op_type] = fn
        return fn

    return register


def differentiable_op_types() -> frozenset[str]:
    """The op types that have a gradient rule (loading every rule module first)."""
    import kgraph.compiler.autodiff.rules  # noqa: F401  (registers the rules)

    return frozenset(RULES)


def handled_op_types() -> frozenset[str]:
    """Op types the backward pass accepts: those with a rule plus the non-differentiable ones."""
    return differentiable_op_types() | NON_DIFFERENTIABLE
