"""Gradient rules of the trigonometric and hyperbolic ops (Tan, Asin, ..., Atanh).

Each derivative is written with the forward output where that is cheaper (``tan' = 1 + y**2``).
"""

from __future__ import annotations

from kgraph.compiler.autodiff.emit import const
from kgraph.compiler.autodiff.registry import rule


def _unary(*op_types):
    """Registers ``fn(b, x, y, g) -> dx`` for a one-input, one-output op."""

    def register(fn):
        @rule(*op_types)
        def unary_rule(b, node, grads):
            g = grads[0]
            return [None if g is None else fn(b, node.inputs[0], node.outputs[0], g)]

        return fn

    return register


def _square(b, v):
    return b.op("Mul", [v, v])


@_unary("Tan")
def _tan(b, x, y, g):
    return b.op("Mul", [g, b.op("Add", [const(b, 1, x), _square(b, y)])])


@_unary("Asin")
def _asin(b, x, y, g):
    root = b.op("Sqrt", [b.op("Sub", [const(b, 1, x), _square(b, x)])])
    return b.op("Div", [g, root])


@_unary("Acos")
def _acos(b, x, y, g):
    root = b.op("Sqrt", [b.op("Sub", [const(b, 1, x), _square(b, x)])])
    return b.op("Neg", [b.op("Div", [g, root])])


@_unary("Atan")
def _atan(b, x, y, g):
    return b.op("Div", [g, b.op("Add", [const(b, 1, x), _square(b, x)])])


@_unary("Sinh")
def _sinh(b, x, y, g):
    return b.op("Mul", [g, b.op("Cosh", [x])])


@_unary("Cosh")
def _cosh(b, x, y, g):
    return b.op("Mul", [g, b.op("Sinh", [x])])


@_unary("Asinh")
def _asinh(b, x, y, g):
    return b.op("Div", [g, b.op("Sqrt", [b.op("Add", [_square(b, x), const(b, 1, x)])])])


@_unary("Acosh")
def _acosh(b, x, y, g):
    return b.op("Div", [g, b.op("Sqrt", [b.op("Sub", [_square(b, x), const(b, 1, x)])])])


@_unary("Atanh")
def _atanh(b, x, y, g):
    return b.op("Div", [g, b.op("Sub", [const(b, 1, x), _square(b, x)])])
