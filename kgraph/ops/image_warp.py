"""``warp`` (a kgraph extension of ``kgraph.ops.image``): images resampled at per-pixel points,
the general form of ``affine_transform`` that elastic deformations need."""

from __future__ import annotations

from kgraph.ops import image_lowering as low
from kgraph.ops.core import Op, _spec_of, apply
from kgraph.ops.lowering import cast


def _infer(x, ys, xs, *, order, fill_mode, fill_value, layout, size, dtype):
    from kgraph.ops.image import _layout, _with_hw

    _, h, w, _ = _layout(x, "channels_first" if layout[1] else "channels_last")
    return _with_hw(x, h, w, ys.shape[1:], dtype)


def _lower(b, x, ys, xs, *, order, fill_mode, fill_value, layout, size, dtype):
    rank, first, cast_input = layout
    x = low.nhwc(b, x, rank, first)
    if cast_input:
        x = cast(b, x, dtype)
    ys, xs = cast(b, ys, "float32"), cast(b, xs, "float32")
    y = low.sample(
        b,
        x,
        ys,
        xs,
        order=order,
        fill_mode=fill_mode,
        fill_value=fill_value,
        size=size,
        dtype=dtype,
    )
    return low.restore(b, y, rank, first)


_warp = Op("image.warp", _infer, _lower, promote=False)


def warp(
    images, ys, xs, interpolation="bilinear", fill_mode="constant", fill_value=0.0, data_format=None
):
    """Output pixel ``(n, i, j)`` reads ``images[n]`` at the point ``(ys[n, i, j], xs[n, i, j])``
    (row, column; (batch, H', W') tensors), with Keras' interpolations and fill modes."""
    from kgraph.ops.image import AFFINE_INTERPOLATIONS, _float, _layout, _static_hw

    spec, yspec = _spec_of(images), _spec_of(ys)
    first, h, w, _ = _layout(spec, data_format)
    if spec.ndim != 4 or yspec.ndim != 3 or tuple(_spec_of(xs).shape) != tuple(yspec.shape):
        raise ValueError(
            "warp takes a batch of images and two (batch, height, width) point tensors. "
            f"Received images.shape={spec.shape}, ys.shape={yspec.shape}, "
            f"xs.shape={_spec_of(xs).shape}"
        )
    if interpolation not in AFFINE_INTERPOLATIONS or fill_mode not in low.FILL_MODES:
        raise ValueError(
            f"Invalid `interpolation` or `fill_mode`. Received: interpolation={interpolation}, "
            f"fill_mode={fill_mode}"
        )
    return apply(
        _warp,
        [images, ys, xs],
        order=AFFINE_INTERPOLATIONS[interpolation],
        fill_mode=fill_mode,
        fill_value=float(fill_value),
        layout=(spec.ndim, first, _float(spec.dtype) != spec.dtype),
        size=_static_hw(spec, h, w, "warp"),
        dtype=_float(spec.dtype),
    )
