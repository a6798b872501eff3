"""The rest of Keras' activation ops: hard_sigmoid and hard_silu as their single ONNX nodes, the
others composed from elementwise ops that already have gradient rules. Integer inputs compute
in floatx (except ``threshold`` with an integer default, which picks between integers as Keras
does)."""

from __future__ import annotations

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops import shapes
from kgraph.ops.array import expand_dims
from kgraph.ops.core import Op, _spec_of, apply
from kgraph.ops.indexing import get_item
from kgraph.ops.nn import _to_float, relu, sigmoid, softplus
from kgraph.ops.numpy import (
    add,
    cast,
    clip,
    divide,
    exp,
    greater,
    greater_equal,
    less,
    maximum,
    minimum,
    multiply,
    negative,
    sqrt,
    subtract,
    tanh,
    where,
)

_hard_sigmoid = Op(
    "hard_sigmoid",
    lambda x: x,
    lambda b, x: b.op("HardSigmoid", [x], {"alpha": 1.0 / 6.0, "beta": 0.5}),
)
_hard_silu = Op("hard_silu", lambda x: x, lambda b, x: b.op("HardSwish", [x]))


def hard_sigmoid(x):
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid (one ONNX ``HardSigmoid`` node)."""
    return apply(_hard_sigmoid, [_to_float(x)])


def hard_silu(x):
    """``x * hard_sigmoid(x)``, also called hard_swish (one ONNX ``HardSwish`` node)."""
    return apply(_hard_silu, [_to_float(x)])


hard_swish = hard_silu


def mish(x):
    """``x * tanh(softplus(x))``."""
    x = _to_float(x)
    return multiply(x, tanh(softplus(x)))


_celu = Op("celu", lambda x, **_: x, lambda b, x, *, alpha: b.op("Celu", [x], {"alpha": alpha}))
_shrink = Op(
    "shrink",
    lambda x, **_: x,
    lambda b, x, *, lambd, bias: b.op("Shrink", [x], {"lambd": lambd, "bias": bias}),
)
_thresholded_relu = Op(
    "thresholded_relu",
    lambda x, **_: x,
    lambda b, x, *, alpha: b.op("ThresholdedRelu", [x], {"alpha": alpha}),
)


def celu(x, alpha=1.0):
    """``max(0, x) + alpha * min(0, exp(x / alpha) - 1)`` (one ONNX ``Celu`` node for float32,
    the only type ONNX's Celu takes; composed for the others)."""
    x = _to_float(x)
    if _spec_of(x).dtype == "float32":
        return apply(_celu, [x], alpha=float(alpha))
    negative_part = minimum(subtract(exp(divide(x, float(alpha))), 1.0), 0.0)
    return add(relu(x), multiply(negative_part, float(alpha)))


def glu(x, axis=-1):
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    spec = _spec_of(x)
    axis = shapes.normalize_axis(axis, spec.ndim)
    size = spec.shape[axis]
    if size is None or size % 2:
        raise ValueError(
            f"axis size must be divisible by 2. Received: x.shape={spec.shape} with axis={axis}"
        )
    x = _to_float(x)
    head = (slice(None),) * axis
    a = get_item(x, (*head, slice(0, size // 2)))
    b = get_item(x, (*head, slice(size // 2, size)))
    return multiply(a, sigmoid(b))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""
    return negative(softplus(negative(_to_float(x))))


def sparse_plus(x):
    """0 below -1, ``(x + 1)² / 4`` between -1 and 1, ``x`` above 1."""
    x = _to_float(x)
    middle = divide(multiply(add(x, 1.0), add(x, 1.0)), 4.0)
    return where(less(x, -1.0), 0.0, where(greater_equal(x, 1.0), x, middle))


def sparse_sigmoid(x):
    """0 below -1, ``(x + 1) / 2`` between -1 and 1, 1 above."""
    return clip(divide(add(_to_float(x), 1.0), 2.0), 0.0, 1.0)


def squareplus(x, b=4):
    """``(x + sqrt(x² + b)) / 2``, a smooth ReLU."""
    x = _to_float(x)
    return divide(add(x, sqrt(add(multiply(x, x), float(b)))), 2.0)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = _to_float(x)
    return subtract(x, tanh(x))


def hard_tanh(x):
    """``clip(x, -1, 1)``; integer and bool inputs keep an integer dtype, as in Keras."""
    dtype = _spec_of(x).dtype
    if isinstance(x, float) or dtype.startswith("float"):
        return clip(x, -1.0, 1.0)
    return clip(x, 0 if dtype.startswith("uint") else -1, 1)


def soft_shrink(x, threshold=0.5):
    """Shrinks ``x`` towards 0 by ``threshold``; 0 inside ``[-threshold, threshold]``."""
    x, t = _to_float(x), float(threshold)
    if t >= 0:  # one ONNX Shrink node
        return apply(_shrink, [x], lambd=t, bias=t)
    return where(greater(x, t), subtract(x, t), where(less(x, -t), add(x, t), 0.0))


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0 (one ONNX ``Shrink`` node)."""
    x = _to_float(x)
    if float(threshold) >= 0:
        return apply(_shrink, [x], lambd=float(threshold), bias=0.0)
    return where(greater(knp.abs(x), float(threshold)), x, 0.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value`` (one ONNX ``ThresholdedRelu`` node
    when ``default_value`` is 0). Integer ``x`` with an integer ``default_value`` stays
    integer, as in Keras."""
    dtype = _spec_of(x).dtype
    if dtype.startswith(("int", "uint")) and isinstance(default_value, (int, np.integer)):
        return where(greater(x, threshold), x, int(default_value))
    x = _to_float(x)
    if float(default_value) == 0.0:
        return apply(_thresholded_relu, [x], alpha=float(threshold))
    return where(greater(x, float(threshold)), x, float(default_value))


def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Written without a sort (ONNX TopK has no gradient rule here): element ``i`` is in the
    support when ``1 + k_i * x_i > s_i``, with ``k_i`` and ``s_i`` the count and sum of the
    entries ``>= x_i``; this compares all pairs, so its cost is quadratic in the axis size.
    """
    x = _to_float(x)
    dtype = _spec_of(x).dtype
    axis = shapes.normalize_axis(axis, _spec_of(x).ndim)
    mine, others = expand_dims(x, axis + 1), expand_dims(x, axis)
    above = cast(greater_equal(others, mine), dtype)  # [.., i, j, ..]: x_j >= x_i
    count = knp.sum(above, axis=axis + 1)
    total = knp.sum(multiply(above, others), axis=axis + 1)
    support = cast(greater(add(multiply(count, x), 1.0), total), dtype)
    size = knp.sum(support, axis=axis, keepdims=True)
    tau = divide(subtract(knp.sum(multiply(support, x), axis=axis, keepdims=True), 1.0), size)
    return maximum(subtract(x, tau), 0.0)
