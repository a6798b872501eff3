"""``extract_patches`` and ``map_coordinates`` of ``kgraph.ops.image``."""

from __future__ import annotations

import itertools

import numpy as np

from kgraph.ops import image_lowering as low
from kgraph.ops.array import expand_dims, squeeze
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import axes_input, cast, scalar
from kgraph.ops.nn import conv
from kgraph.utils.argument_validation import standardize_data_format


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of ``size`` (an int, or (height, width)) stacked on the channel axis, in
    (row, column, channel) order, as Keras returns them: a convolution with a one-hot kernel."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    if len(size) != 2:
        raise TypeError(
            "Invalid `size` argument. Expected an int or a tuple of length 2. "
            f"Received: size={size}"
        )
    strides = size if strides is None else strides
    data_format = standardize_data_format(data_format)
    spec = _spec_of(images)
    if spec.ndim not in (3, 4):
        raise ValueError(f"extract_patches expects rank 3 or 4 images. Received: {spec.shape}")
    channels = spec.shape[-1] if data_format == "channels_last" else spec.shape[-3]
    depth = size[0] * size[1] * channels
    kernel = np.eye(depth, dtype=spec.dtype if spec.dtype.startswith("float") else "float32")
    kernel = kernel.reshape(size[0], size[1], channels, depth)
    x = images if spec.ndim == 4 else expand_dims(images, 0)
    out = conv(x, kernel, strides, padding, data_format, dilation_rate)
    return out if spec.ndim == 4 else squeeze(out, 0)


def _map_infer(x, coords, *, order, fill_mode, fill_value, sizes):
    return Spec(tuple(coords.shape[1:]), x.dtype)


def _map_lower(b, x, coords, *, order, fill_mode, fill_value, sizes):
    rank = len(sizes)
    coords = cast(b, coords, "float32")
    parts = b.op("Split", [coords], {"axis": 0, "num_outputs": rank}, num_outputs=rank)
    parts = [parts] if rank == 1 else list(parts)
    parts = [b.op("Squeeze", [p, axes_input(b, [0])]) for p in parts]
    one = scalar(b, 1.0, "float32")
    per_axis = []
    for p in parts:
        if order == 0:
            per_axis.append([(low.round_away(b, p), None)])
            continue
        lower = b.op("Floor", [p])
        upper_weight = b.op("Sub", [p, lower])
        lower_weight = b.op("Sub", [one, upper_weight])
        per_axis.append([(lower, lower_weight), (b.op("Add", [lower, one]), upper_weight)])
    total = None
    last = axes_input(b, [-1])
    for taps in itertools.product(*per_axis):
        raw = [cast(b, t, "int64") for t, _ in taps]
        fixed = [low.fix_index(b, i, n, fill_mode) for i, n in zip(raw, sizes)]
        idx = b.op("Concat", [b.op("Unsqueeze", [i, last]) for i in fixed], {"axis": -1})
        value = b.op("GatherND", [x, idx])
        if fill_mode == "constant":
            ok = None
            for i, n in zip(raw, sizes):
                inside = b.op(
                    "And",
                    [
                        b.op("GreaterOrEqual", [i, scalar(b, 0, "int64")]),
                        b.op("Less", [i, scalar(b, n, "int64")]),
                    ],
                )
                ok = inside if ok is None else b.op("And", [ok, inside])
            value = b.op("Where", [ok, value, scalar(b, fill_value, x.dtype.numpy().name)])
        for _, weight in taps:
            if weight is not None:
                value = b.op("Mul", [value, cast(b, weight, x.dtype.numpy().name)])
        total = value if total is None else b.op("Add", [total, value])
    return total


_map = Op("image.map_coordinates", _map_infer, _map_lower, promote=False)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0.0):
    """Values of ``inputs`` at ``coordinates`` (shape ``(inputs.ndim, ...)``), interpolated with
    ``order`` 0 (nearest) or 1 (linear); points outside read per ``fill_mode`` (constant,
    nearest, wrap, mirror, reflect), as ``scipy.ndimage.map_coordinates``. ``inputs`` must
    have a static shape and a float dtype."""
    spec, cspec = _spec_of(inputs), _spec_of(coordinates)
    if cspec.ndim < 2 or cspec.shape[0] != spec.ndim:
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs`. Received "
            f"inputs with shape: {spec.shape} and coordinates with shape: {cspec.shape}"
        )
    if order not in (0, 1):
        raise ValueError(
            f"Invalid value for argument `order`. Expected one of [0, 1]. Received: order={order}"
        )
    if fill_mode not in low.FILL_MODES:
        raise ValueError(
            f"Invalid value for argument `fill_mode`. Expected one of {set(low.FILL_MODES)}. "
            f"Received: fill_mode={fill_mode}"
        )
    if None in spec.shape:
        raise ValueError(f"map_coordinates needs a static input shape. Received: {spec.shape}")
    return apply(
        _map,
        [inputs, coordinates],
        order=int(order),
        fill_mode=fill_mode,
        fill_value=float(fill_value),
        sizes=tuple(int(d) for d in spec.shape),
    )
