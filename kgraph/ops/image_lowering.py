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


def _i64(b, v):
    """An int64 scalar: a constant for an int, or the run-time size itself."""
    return scalar(b, v, _I64) if isinstance(v, (int, np.integer)) else v


def _arith(b, op: str, a, c):
    """``a op c`` for sizes that are ints (folded here) or int64 scalars (an ONNX node)."""
    if isinstance(a, (int, np.integer)) and isinstance(c, (int, np.integer)):
        return {"Add": a + c, "Sub": a - c, "Mul": a * c}[op]
    return b.op(op, [_i64(b, a), _i64(b, c)])


def runtime_size(b, x, axis: int):
    """Size of ``x`` along ``axis`` as an int64 scalar read at run time."""
    dim = b.op("Shape", [x], {"start": axis, "end": axis + 1})
    return b.op("Squeeze", [dim, axes_input(b, [0])])


def fix_index(b, index, size, mode: str):
    """Integer index into an axis of ``size`` (an int, or an int64 scalar known at run time)
    after the fill mode's remapping."""
    last = _arith(b, "Sub", size, 1)
    if mode in ("constant", "nearest") or (isinstance(size, int) and size == 1):
        return b.op("Clip", [index, _i64(b, 0), _i64(b, last)])
    if mode == "wrap":
        return b.op("Mod", [index, _i64(b, size)])

    def mirror(i, n):  # triangular wave of half-period n - 1
        s = _arith(b, "Sub", n, 1)
        if not isinstance(s, int):  # a one-pixel axis at run time: no division by zero
            s = b.op("Max", [s, _i64(b, 1)])
        wave = b.op("Mod", [b.op("Add", [i, _i64(b, s)]), _i64(b, _arith(b, "Mul", s, 2))])
        return b.op("Abs", [b.op("Sub", [wave, _i64(b, s)])])

    if mode == "mirror":
        index = mirror(index, size)
    else:  # reflect
        twice = b.op("Add", [b.op("Mul", [index, _i64(b, 2)]), _i64(b, 1)])
        n = _arith(b, "Add", _arith(b, "Mul", size, 2), 1)
        index = b.op("Div", [b.op("Sub", [mirror(twice, n), _i64(b, 1)]), _i64(b, 2)])
    if isinstance(size, int):
        return index
    return b.op("Clip", [index, _i64(b, 0), _i64(b, last)])


def round_away(b, v):
    """Rounds half away from zero (ONNX ``Round`` rounds half to even)."""
    half = b.op("Floor", [b.op("Add", [b.op("Abs", [v]), scalar(b, 0.5, "float32")])])
    return b.op("Mul", [b.op("Sign", [v]), half])


def _axis_taps(b, coords, size, order: int, mode: str):
    """Per axis: [(fixed index, weight or None, inside-image mask)] for each tap."""
    if order == 0:
        points = [(round_away(b, coords), None)]
    else:
        low = b.op("Floor", [coords])
        upper = b.op("Sub", [coords, low])
        one = scalar(b, 1.0, "float32")
        points = [(low, b.op("Sub", [one, upper])), (b.op("Add", [low, one]), upper)]
    taps = []
    for point, weight in points:
        index = cast(b, point, _I64)
        inside = None
        if mode == "constant":
            inside = b.op(
                "And",
                [
                    b.op("GreaterOrEqual", [index, scalar(b, 0, _I64)]),
                    b.op("Less", [index, _i64(b, size)]),
                ],
            )
        taps.append((fix_index(b, index, size, mode), weight, inside))
    return taps


def sample(b, x, ys, xs, *, order: int, fill_mode: str, fill_value: float, size, dtype: str):
    """Values of (N, H, W, C) ``x`` at float32 points ``(ys, xs)`` of shape (N, H', W').
    ``size`` is (H, W): ints, or None where the size is only known at run time.

    The image is read as a channel-major (C, N*H*W) table with one ``Gather`` per tap (much
    faster in onnxruntime than ``GatherND`` with ``batch_dims``), so the per-pixel weights
    broadcast over the leading channel axis, which onnxruntime does at full speed; in
    constant mode a tap that falls outside gives its weight to ``fill_value`` instead.
    """
    height, width = (runtime_size(b, x, a + 1) if n is None else n for a, n in enumerate(size))
    planar = b.op("Transpose", [x], {"perm": [3, 0, 1, 2]})  # C N H W
    table = b.op(
        "Concat", [b.op("Shape", [x], {"start": 3}), b.constant(np.asarray([-1]))], {"axis": 0}
    )
    flat = b.op("Reshape", [planar, table])  # (C, N*H*W)
    batch = b.op("Squeeze", [b.op("Shape", [x], {"end": 1}), axes_input(b, [0])])
    start = b.op("Range", [scalar(b, 0, _I64), batch, scalar(b, 1, _I64)])
    base = b.op(  # image n starts at column n * H * W
        "Reshape",
        [
            b.op("Mul", [start, _i64(b, _arith(b, "Mul", height, width))]),
            b.constant(np.asarray([-1, 1, 1])),
        ],
    )
    rows = _axis_taps(b, ys, height, order, fill_mode)
    cols = _axis_taps(b, xs, width, order, fill_mode)
    total, outside = None, None
    for ry, wy, in_y in rows:
        row_start = b.op("Add", [base, b.op("Mul", [ry, _i64(b, width)])])
        for cx, wx, in_x in cols:
            value = b.op("Gather", [flat, b.op("Add", [row_start, cx])], {"axis": 1})
            weight = wy if wx is None else (wx if wy is None else b.op("Mul", [wy, wx]))
            if fill_mode == "constant":
                ok = cast(b, b.op("And", [in_y, in_x]), "float32")
                miss = b.op("Sub", [scalar(b, 1.0, "float32"), ok])
                miss = miss if weight is None else b.op("Mul", [miss, weight])
                outside = miss if outside is None else b.op("Add", [outside, miss])
                weight = ok if weight is None else b.op("Mul", [weight, ok])
            if weight is not None:
                value = b.op("Mul", [value, cast(b, weight, dtype)])
            total = value if total is None else b.op("Add", [total, value])
    if fill_mode == "constant" and fill_value != 0.0:
        total = b.op(
            "Add", [total, b.op("Mul", [cast(b, outside, dtype), scalar(b, fill_value, dtype)])]
        )
    return b.op("Transpose", [total], {"perm": [1, 2, 3, 0]})


def affine_points(b, transform, out_size):
    """Input points ``(ys, xs)`` (N, H', W') that Keras' 8-number transforms map the output
    pixels to: ``x_in = (a0 x + a1 y + a2) / k``, ``y_in = (b0 x + b1 y + b2) / k`` with
    ``k = c0 x + c1 y + 1``. ``out_size`` holds ints or int64 scalars known at run time."""
    gy, gx = (_grid(b, n, shape) for n, shape in zip(out_size, ([1, -1, 1], [1, 1, -1])))
    cols = b.op("Split", [transform], {"axis": 1, "num_outputs": 8}, num_outputs=8)
    a0, a1, a2, b0, b1, b2, c0, c1 = (b.op("Unsqueeze", [c, axes_input(b, [2])]) for c in cols)

    def plane(p, q, r):
        return b.op("Add", [b.op("Add", [b.op("Mul", [p, gx]), b.op("Mul", [q, gy])]), r])

    k = plane(c0, c1, scalar(b, 1.0, "float32"))
    return b.op("Div", [plane(b0, b1, b2), k]), b.op("Div", [plane(a0, a1, a2), k])


def _grid(b, n, shape):
    """``0, 1, ..., n - 1`` as float32, reshaped to ``shape`` (one -1)."""
    if isinstance(n, (int, np.integer)):
        return b.constant(np.arange(n, dtype=np.float32).reshape(shape))
    line = b.op("Range", [_i64(b, 0), n, _i64(b, 1)])
    return b.op("Reshape", [cast(b, line, "float32"), b.constant(np.asarray(shape, np.int64))])


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
