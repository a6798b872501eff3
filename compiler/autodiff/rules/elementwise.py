"""Gradient rules of element-wise ops (numpy broadcasting undone by ``unbroadcast``)."""

from __future__ import annotations

import math

from kgraph.compiler.autodiff.emit import attr, const, input_at, is_float, mask_as
from kgraph.compiler.autodiff.registry import rule
from kgraph.compiler.autodiff.rules import custom
from kgraph.compiler.autodiff.unbroadcast import unbroadcast


def _unb(b, g, x, node):
    """``g`` (in the output's shape) summed to the shape of input ``x``; None if x is not float."""
    if g is None or x is None or not is_float(x):
        return None
    return unbroadcast(b, g, x, node.outputs[0].shape)


def _unary(*op_types):
    """Registers ``fn(b, node, x, y, g) -> dx`` for a one-input, one-output op."""

    def register(fn):
        @rule(*op_types)
        def unary_rule(b, node, grads):
            g = grads[0]
            return [None if g is None else fn(b, node, node.inputs[0], node.outputs[0], g)]

        return fn

    return register


# -- arithmetic -----------------------------------------------------------------------------


@rule("Add")
def _add(b, node, grads):
    return [_unb(b, grads[0], x, node) for x in node.inputs]


@rule("Sum")
def _sum(b, node, grads):
    return [_unb(b, grads[0], x, node) for x in node.inputs]


@rule("Mean")
def _mean(b, node, grads):
    share = b.op("Div", [grads[0], const(b, len(node.inputs), node.outputs[0])])
    return [_unb(b, share, x, node) for x in node.inputs]


@rule("Sub")
def _sub(b, node, grads):
    x, z = node.inputs
    dz = _unb(b, grads[0], z, node)
    return [_unb(b, grads[0], x, node), None if dz is None else b.op("Neg", [dz])]


@rule("Mul")
def _mul(b, node, grads):
    x, z = node.inputs
    g = grads[0]
    if x is z:  # a square (BatchNormalization's variance): (g + g)·x, two passes, not three
        spread = g.producer()
        if spread is not None and spread.op_type == "Expand":  # a ReduceMean's cotangent: the
            g = spread.inputs[0]  # Mul broadcasts it to g's shape (x's), so only it is full-sized
        return [_unb(b, b.op("Mul", [b.op("Add", [g, g]), x]), x, node), None]
    return [_unb(b, b.op("Mul", [g, z]), x, node), _unb(b, b.op("Mul", [g, x]), z, node)]


@rule("Div")
def _div(b, node, grads):
    x, z = node.inputs
    q = b.op("Div", [grads[0], z])
    dz = _unb(b, b.op("Mul", [q, node.outputs[0]]), z, node)  # -g * x / z**2 = -(g / z) * y
    return [_unb(b, q, x, node), None if dz is None else b.op("Neg", [dz])]


@rule("Pow")
def _pow(b, node, grads):
    x, e = node.inputs
    g, y = grads[0], node.outputs[0]
    if e.dtype is not None and x.dtype is not None and e.dtype != x.dtype:
        e = b.op("Cast", [e], {"to": x.dtype})
    power = b.op("Pow", [x, b.op("Sub", [e, const(b, 1, x)])])
    dx = _unb(b, b.op("Mul", [g, b.op("Mul", [e, power])]), x, node)
    de = _unb(b, b.op("Mul", [g, b.op("Mul", [y, b.op("Log", [x])])]), node.inputs[1], node)
    return [dx, de]


@rule("Max", "Min")
def _extremum(b, node, grads):
    """Ties share the gradient equally (as JAX does for maximum/minimum)."""
    g, y = grads[0], node.outputs[0]
    if len(node.inputs) == 1:
        return [g]
    masks = [mask_as(b, b.op("Equal", [x, y]), y) for x in node.inputs]
    share = b.op("Div", [g, b.op("Sum", masks)])
    return [_unb(b, b.op("Mul", [share, m]), x, node) for x, m in zip(node.inputs, masks)]


@rule("Where")
def _where(b, node, grads):
    c, x, z = node.inputs
    zero = const(b, 0, node.outputs[0])
    return [
        None,
        _unb(b, b.op("Where", [c, grads[0], zero]), x, node),
        _unb(b, b.op("Where", [c, zero, grads[0]]), z, node),
    ]


@rule("Clip")
def _clip(b, node, grads):
    x, g = node.inputs[0], grads[0]
    lo, hi = input_at(node, 1), input_at(node, 2)
    zero = const(b, 0, x)
    keep, result = None, [None, None, None]
    for i, bound, inside, outside in (
        (1, lo, "GreaterOrEqual", "Less"),
        (2, hi, "LessOrEqual", "Greater"),
    ):
        if bound is None:
            continue
        cond = b.op(inside, [x, bound])
        keep = cond if keep is None else b.op("And", [keep, cond])
        if input_at(node, i) is not None:
            past = b.op("Where", [b.op(outside, [x, bound]), g, zero])
            result[i] = _unb(b, past, node.inputs[i], node)
    result[0] = g if keep is None else b.op("Where", [keep, g, zero])
    return result[: len(node.inputs)]


@rule("Identity")
def _identity(b, node, grads):
    """The gradient passes, unless the node is a ``stop_gradient`` (marked in its metadata).
    A ``custom_gradient`` output replays its traced VJP onto its arguments (``rules.custom``),
    or, when it could not be traced (several outputs), refuses differentiation."""
    if node.meta.get(custom.CUSTOM_VJP) is not None:
        return [None, *custom.replay(b, node, grads[0])]
    if node.meta.get("custom_gradient"):
        raise ValueError(
            "kgraph cannot differentiate through ops.custom_gradient: its grad_fn is not "
            "part of the graph. Wrap the call in ops.stop_gradient or drop the decorator."
        )
    return [None if node.meta.get("stop_gradient") else grads[0]]


@rule("Cast")
def _cast(b, node, grads):
    x, y = node.inputs[0], node.outputs[0]
    if grads[0] is None or not (is_float(x) and is_float(y)):
        return [None]
    return [grads[0] if x.dtype == y.dtype else b.op("Cast", [grads[0]], {"to": x.dtype})]


# -- unary math -----------------------------------------------------------------------------


@_unary("Neg")
def _neg(b, node, x, y, g):
    return b.op("Neg", [g])


@_unary("Abs")
def _abs(b, node, x, y, g):
    return b.op("Mul", [g, b.op("Sign", [x])])


@_unary("Exp")
def _exp(b, node, x, y, g):
    return b.op("Mul", [g, y])


@_unary("Log")
def _log(b, node, x, y, g):
    return b.op("Div", [g, x])


@_unary("Sqrt")
def _sqrt(b, node, x, y, g):
    return b.op("Div", [b.op("Mul", [g, const(b, 0.5, x)]), y])


@_unary("Reciprocal")
def _reciprocal(b, node, x, y, g):
    return b.op("Neg", [b.op("Mul", [g, b.op("Mul", [y, y])])])


@_unary("Sin")
def _sin(b, node, x, y, g):
    return b.op("Mul", [g, b.op("Cos", [x])])


@_unary("Cos")
def _cos(b, node, x, y, g):
    return b.op("Neg", [b.op("Mul", [g, b.op("Sin", [x])])])


@_unary("Tanh")
def _tanh(b, node, x, y, g):
    return b.op("Mul", [g, b.op("Sub", [const(b, 1, x), b.op("Mul", [y, y])])])


@_unary("Sigmoid")
def _sigmoid(b, node, x, y, g):
    return b.op("Mul", [g, b.op("Mul", [y, b.op("Sub", [const(b, 1, x), y])])])


@_unary("Erf")
def _erf(b, node, x, y, g):
    gauss = b.op("Exp", [b.op("Neg", [b.op("Mul", [x, x])])])
    return b.op("Mul", [g, b.op("Mul", [gauss, const(b, 2 / math.sqrt(math.pi), x)])])


@_unary("Softplus")
def _softplus(b, node, x, y, g):
    return b.op("Mul", [g, b.op("Sigmoid", [x])])


@_unary("Softsign")
def _softsign(b, node, x, y, g):
    t = b.op("Add", [b.op("Abs", [x]), const(b, 1, x)])
    return b.op("Div", [g, b.op("Mul", [t, t])])


# -- activations with a kink ----------------------------------------------------------------


@_unary("Relu")
def _relu(b, node, x, y, g):
    # g · (y > 0): onnxruntime's CPU Where is ~10x slower than Greater + Cast + Mul on large
    # tensors; reading the output y (> 0 exactly where x > 0) leaves x free for Conv+Relu fusion.
    return b.op("Mul", [g, mask_as(b, b.op("Greater", [y, const(b, 0, y)]), y)])


@_unary("LeakyRelu")
def _leaky_relu(b, node, x, y, g):
    scaled = b.op("Mul", [g, const(b, attr(node, "alpha", 0.01), x)])
    return b.op("Where", [b.op("Less", [x, const(b, 0, x)]), scaled, g])


@_unary("Elu")
def _elu(b, node, x, y, g):
    slope = b.op("Add", [y, const(b, attr(node, "alpha", 1.0), x)])  # alpha * exp(x) for x < 0
    return b.op("Where", [b.op("Less", [x, const(b, 0, x)]), b.op("Mul", [g, slope]), g])


@_unary("Selu")
def _selu(b, node, x, y, g):
    alpha = attr(node, "alpha", 1.67326319217681884765625)
    gamma = attr(node, "gamma", 1.05070102214813232421875)
    slope = b.op("Add", [y, const(b, alpha * gamma, x)])  # gamma * alpha * exp(x) for x <= 0
    linear = b.op("Mul", [g, const(b, gamma, x)])
    return b.op("Where", [b.op("Greater", [x, const(b, 0, x)]), linear, b.op("Mul", [g, slope])])


@_unary("HardSigmoid")
def _hard_sigmoid(b, node, x, y, g):
    inside = b.op("And", [b.op("Greater", [y, const(b, 0, x)]), b.op("Less", [y, const(b, 1, x)])])
    scaled = b.op("Mul", [g, const(b, attr(node, "alpha", 0.2), x)])
    return b.op("Where", [inside, scaled, const(b, 0, x)])
