"""ONNX lowerings behind ``kgraph.ops.image``: point sampling, resizing and colour conversions.

Every lowering works on channels_last batches ``(N, H, W, C)``; ``kgraph.ops.image`` adds the
transposes for channels_first and the batch axis for single images. Sampling follows
``jax.scipy.ndimage.map_coordinates`` (what Keras' JAX backend uses for ``affine_transform``):
order 0 rounds coordinates half away from zero, order 1 mixes the four neighbours, and the fill
mode fixes each neighbour's integer index separately (constant: out-of-image neighbours read
``fill_value``). The gathers are ``GatherND`` nodes with ``batch_dims=1``.
"""

from __future__ import annotations

import numpy as np

from kgraph.compiler import image_filters
from kgraph.ops.lowering import axes_input, cast, scalar

_I64 = "int64"
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def nhwc(b, x, rank: int, channels_first: bool):
    """``x`` as an (N, H, W, C) value (adds the batch axis, moves channels last)."""
    if rank == 3:
        x = b.op("Unsqueeze", [x, axes_input(b, [0])])
    if channels_first:
        x = b.op("Transpose", [x], {"perm": [0, 2, 3, 1]})
    return x


def restore(b, y, rank: int, channels_first: bool):
    """Undoes :func:`nhwc` on a result."""
    if channels_first:
        y = b.op("Transpose", [y], {"perm": [0, 3, 1, 2]})
    if rank == 3:
        y = b.op("Squeeze", [y, axes_input(b, [0])])
    return y


def fix_index(b, index, size: int, mode: str):
    """Integer index into an axis of ``size`` after the fill mode's remapping."""

    def i64(v):
        return scalar(b, v, _I64)

    if mode in ("constant", "nearest") or size == 1:
        return b.op("Clip", [index, i64(0), i64(size - 1)])
    if mode == "wrap":
        return b.op("Mod", [index, i64(size)])

    def mirror(i, n):  # triangular wave of half-period n - 1
        s = n - 1
        return b.op(
            "Abs", [b.op("Sub", [b.op("Mod", [b.op("Add", [i, i64(s)]), i64(2 * s)]), i64(s)])]
        )

    if mode == "mirror":
        return mirror(index, size)
    twice = b.op("Add", [b.op("Mul", [index, i64(2)]), i64(1)])  # reflect
    return b.op("Div", [b.op("Sub", [mirror(twice, 2 * size + 1), i64(1)]), i64(2)])


def _valid(b, iy, ix, height: int, width: int):
    """True where the neighbour (iy, ix) lies inside the image."""
    checks = [
        b.op("GreaterOrEqual", [iy, scalar(b, 0, _I64)]),
        b.op("Less", [iy, scalar(b, height, _I64)]),
        b.op("GreaterOrEqual", [ix, scalar(b, 0, _I64)]),
        b.op("Less", [ix, scalar(b, width, _I64)]),
    ]
    out = checks[0]
    for c in checks[1:]:
        out = b.op("And", [out, c])
    return out


def round_away(b, v):
    """Rounds half away from zero (ONNX ``Round`` rounds half to even)."""
    half = b.op("Floor", [b.op("Add", [b.op("Abs", [v]), scalar(b, 0.5, "float32")])])
    return b.op("Mul", [b.op("Sign", [v]), half])


def sample(b, x, ys, xs, *, order: int, fill_mode: str, fill_value: float, size, dtype: str):
    """Values of (N, H, W, C) ``x`` at float32 points ``(ys, xs)`` of shape (N, H', W')."""
    height, width = size
    if order == 0:
        taps = [(round_away(b, ys), round_away(b, xs), None)]
    else:
        y0, x0 = b.op("Floor", [ys]), b.op("Floor", [xs])
        wy, wx = b.op("Sub", [ys, y0]), b.op("Sub", [xs, x0])
        one = scalar(b, 1.0, "float32")
        taps = []
        for dy, fy in ((0, b.op("Sub", [one, wy])), (1, wy)):
            for dx, fx in ((0, b.op("Sub", [one, wx])), (1, wx)):
                yy = y0 if dy == 0 else b.op("Add", [y0, one])
                xx = x0 if dx == 0 else b.op("Add", [x0, one])
                taps.append((yy, xx, b.op("Mul", [fy, fx])))
    last = axes_input(b, [-1])
    total = None
    for ty, tx, weight in taps:
        iy, ix = cast(b, ty, _I64), cast(b, tx, _I64)
        fy, fx = fix_index(b, iy, height, fill_mode), fix_index(b, ix, width, fill_mode)
        idx = b.op(
            "Concat", [b.op("Unsqueeze", [fy, last]), b.op("Unsqueeze", [fx, last])], {"axis": -1}
        )
        value = b.op("GatherND", [x, idx], {"batch_dims": 1})
        if fill_mode == "constant":
            ok = b.op("Unsqueeze", [_valid(b, iy, ix, height, width), last])
            value = b.op("Where", [ok, value, scalar(b, fill_value, dtype)])
        if weight is not None:
            value = b.op("Mul", [value, cast(b, b.op("Unsqueeze", [weight, last]), dtype)])
        total = value if total is None else b.op("Add", [total, value])
    return total


def affine_points(b, transform, out_size):
    """Input points ``(ys, xs)`` (N, H', W') that Keras' 8-number transforms map the output
    pixels to: ``x_in = (a0 x + a1 y + a2) / k``, ``y_in = (b0 x + b1 y + b2) / k`` with
    ``k = c0 x + c1 y + 1``."""
    h, w = out_size
    gy = b.constant(np.arange(h, dtype=np.float32).reshape(1, h, 1))
    gx = b.constant(np.arange(w, dtype=np.float32).reshape(1, 1, w))
    cols = b.op("Split", [transform], {"axis": 1, "num_outputs": 8}, num_outputs=8)
    a0, a1, a2, b0, b1, b2, c0, c1 = (b.op("Unsqueeze", [c, axes_input(b, [2])]) for c in cols)

    def plane(p, q, r):
        return b.op("Add", [b.op("Add", [b.op("Mul", [p, gx]), b.op("Mul", [q, gy])]), r])

    k = plane(c0, c1, scalar(b, 1.0, "float32"))
    return b.op("Div", [plane(b0, b1, b2), k]), b.op("Div", [plane(a0, a1, a2), k])


def rgb_to_hsv(b, x):
    """(…, 3) RGB in [0, 1] to HSV in [0, 1] (hue as a fraction of a turn)."""
    r, g, bl = b.op("Split", [x], {"axis": -1, "num_outputs": 3}, num_outputs=3)
    v = b.op("Max", [r, g, bl])
    span = b.op("Sub", [v, b.op("Min", [r, g, bl])])
    zero = scalar(b, 0.0, "float32")
    safe_v = b.op("Where", [b.op("Greater", [v, zero]), v, scalar(b, 1.0, "float32")])
    s = b.op("Div", [span, safe_v])
    safe = b.op("Where", [b.op("Greater", [span, zero]), span, scalar(b, 1.0, "float32")])

    def part(p, q, offset):
        return b.op("Add", [b.op("Div", [b.op("Sub", [p, q]), safe]), scalar(b, offset, "float32")])

    h = b.op("Where", [b.op("Equal", [v, g]), part(bl, r, 2.0), part(r, g, 4.0)])
    h = b.op("Where", [b.op("Equal", [v, r]), part(g, bl, 0.0), h])
    h = b.op("Where", [b.op("Greater", [span, zero]), h, zero])
    h = b.op(
        "Mod", [b.op("Div", [h, scalar(b, 6.0, "float32")]), scalar(b, 1.0, "float32")], {"fmod": 1}
    )
    h = b.op("Where", [b.op("Less", [h, zero]), b.op("Add", [h, scalar(b, 1.0, "float32")]), h])
    return b.op("Concat", [h, s, v], {"axis": -1})


def hsv_to_rgb(b, x):
    """(…, 3) HSV in [0, 1] back to RGB (TensorFlow's piecewise-linear formula)."""
    h, s, v = b.op("Split", [x], {"axis": -1, "num_outputs": 3}, num_outputs=3)
    dh = b.op("Mul", [h, scalar(b, 6.0, "float32")])

    def f(c):
        return b.op("Abs", [b.op("Sub", [dh, scalar(b, c, "float32")])])

    zero, one = scalar(b, 0.0, "float32"), scalar(b, 1.0, "float32")
    r = b.op("Clip", [b.op("Sub", [f(3.0), one]), zero, one])
    g = b.op("Clip", [b.op("Sub", [scalar(b, 2.0, "float32"), f(2.0)]), zero, one])
    bl = b.op("Clip", [b.op("Sub", [scalar(b, 2.0, "float32"), f(4.0)]), zero, one])
    rgb = b.op("Concat", [r, g, bl], {"axis": -1})
    return b.op("Mul", [b.op("Add", [b.op("Mul", [b.op("Sub", [rgb, one]), s]), one]), v])


def resize_by_matmul(b, x, method: str, antialias: bool, in_size, size, dtype: str):
    """Separable resize of (N, H, W, C) ``x`` from ``in_size`` to ``size`` as two MatMuls."""
    height, width = in_size
    wh = b.constant(image_filters.resize_weights(height, size[0], method, antialias).astype(dtype))
    ww = b.constant(image_filters.resize_weights(width, size[1], method, antialias).astype(dtype))
    y = b.op("MatMul", [b.op("Transpose", [x], {"perm": [0, 1, 3, 2]}), ww])  # N H C W'
    y = b.op("MatMul", [b.op("Transpose", [y], {"perm": [0, 2, 3, 1]}), wh])  # N C W' H'
    return b.op("Transpose", [y], {"perm": [0, 3, 2, 1]})
