"""Colour and framing ops of ``kgraph.ops.image``: grayscale, HSV, crop and pad."""

from __future__ import annotations

import numpy as np

from kgraph.ops import image_lowering as low
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import cast


def _image_layout(images, data_format):
    from kgraph.ops.image import _layout

    spec = _spec_of(images)
    return spec, _layout(spec, data_format)


def _color_lower(b, x, *, kind, rank, first, dtype, cast_input):
    x = low.nhwc(b, x, rank, first)
    if cast_input:
        x = cast(b, x, dtype)
    if kind == "grayscale":
        weights = np.asarray([0.2989, 0.5870, 0.1140], dtype).reshape(3, 1)
        y = b.op("MatMul", [x, b.constant(weights)])
    else:
        y = x if dtype == "float32" else cast(b, x, "float32")
        y = low.rgb_to_hsv(b, y) if kind == "rgb_to_hsv" else low.hsv_to_rgb(b, y)
        y = y if dtype == "float32" else cast(b, y, dtype)
    return low.restore(b, y, rank, first)


def _color_infer(x, *, kind, rank, first, dtype, cast_input):
    shape = list(x.shape)
    if kind == "grayscale":
        shape[rank - 3 if first else rank - 1] = 1
    return Spec(tuple(shape), dtype)


_color = Op("image.color", _color_infer, _color_lower, promote=False)


def _color_op(images, kind, data_format):
    spec, (first, _, _, c) = _image_layout(images, data_format)
    if spec.shape[c] not in (3, None):
        raise ValueError(
            f"{kind} expects 3 channels (RGB) on axis {c}. Received: images.shape={spec.shape}"
        )
    dtype = spec.dtype if spec.dtype.startswith("float") else "float32"
    return apply(
        _color,
        [images],
        kind=kind,
        rank=spec.ndim,
        first=first,
        dtype=dtype,
        cast_input=dtype != spec.dtype,
    )


def rgb_to_grayscale(images, data_format=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` as one channel (Keras' weights)."""
    return _color_op(images, "grayscale", data_format)


def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to HSV in [0, 1] (float images)."""
    return _color_op(images, "rgb_to_hsv", data_format)


def hsv_to_rgb(images, data_format=None):
    """HSV in [0, 1] back to RGB."""
    return _color_op(images, "hsv_to_rgb", data_format)


def _frame_lower(b, x, *, pads, fill_value, rank, first):
    x = low.nhwc(b, x, rank, first)
    (top, bottom), (left, right) = pads
    begin = np.asarray([0, top, left, 0], np.int64)
    end = np.asarray([0, bottom, right, 0], np.int64)
    if (begin <= 0).all() and (end <= 0).all():  # a crop
        starts = -begin[1:3]
        stops = np.asarray([np.iinfo(np.int64).max if v == 0 else v for v in end[1:3]])
        y = b.op(
            "Slice",
            [x, b.constant(starts), b.constant(stops), b.constant(np.asarray([1, 2], np.int64))],
        )
    else:
        pad_value = b.constant(np.asarray(fill_value, x.dtype.numpy() if x.dtype else "float32"))
        y = b.op("Pad", [x, b.constant(np.concatenate([begin, end])), pad_value])
    return low.restore(b, y, rank, first)


def _frame_infer(x, *, pads, fill_value, rank, first):
    from kgraph.ops.image import _layout, _with_hw

    _, h, w, _ = _layout(x, "channels_first" if first else "channels_last")
    size = [
        None if x.shape[a] is None else x.shape[a] + sum(p) for a, p in ((h, pads[0]), (w, pads[1]))
    ]
    return _with_hw(x, h, w, size)


_frame = Op("image.frame", _frame_infer, _frame_lower, promote=False)


def _sides(height, width, first, second, target_h, target_w, what):
    """(top, left, bottom, right) from Keras' mix of margins and target sizes."""
    top, left = first
    bottom, right = second
    if top is None and bottom is None:
        top = 0
    if left is None and right is None:
        left = 0
    dims = {"height": (height, top, bottom, target_h), "width": (width, left, right, target_w)}
    out = {}
    for axis, (size, a, z, target) in dims.items():
        given = sum(v is not None for v in (a, z, target))
        if given != 2:
            raise ValueError(
                f"Must specify exactly two of top_{what}, bottom_{what}, target_{axis} "
                f"for the {axis} axis (or left/right/target_width)."
                if axis == "height"
                else f"Must specify exactly two of left_{what}, right_{what}, target_width."
            )
        if target is not None:
            change = abs(target - size)
            a = change - z if a is None else a
            z = change - a if z is None else z
        if a < 0 or z < 0:
            raise ValueError(f"The {axis} {what} must be >= 0. Received: {a}, {z}")
        out[axis] = (a, z)
    return out["height"], out["width"]


def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Crops images by margins, or to a target size (Keras' argument rules)."""
    spec, (first, h, w, _) = _image_layout(images, data_format)
    height, width = spec.shape[h], spec.shape[w]
    if height is None or width is None:
        raise ValueError(f"crop_images needs static height and width. Received: {spec.shape}")
    ph, pw = _sides(
        height,
        width,
        (top_cropping, left_cropping),
        (bottom_cropping, right_cropping),
        target_height,
        target_width,
        "cropping",
    )
    if ph[0] + ph[1] >= height or pw[0] + pw[1] >= width:
        raise ValueError(
            f"The cropping ({ph}, {pw}) leaves nothing of images of shape {spec.shape}."
        )
    pads = ((-ph[0], -ph[1]), (-pw[0], -pw[1]))
    return apply(_frame, [images], pads=pads, fill_value=0.0, rank=spec.ndim, first=first)


def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Pads images with zeros by margins, or to a target size (Keras' argument rules)."""
    spec, (first, h, w, _) = _image_layout(images, data_format)
    height, width = spec.shape[h], spec.shape[w]
    if height is None or width is None:
        raise ValueError(f"pad_images needs static height and width. Received: {spec.shape}")
    pads = _sides(
        height,
        width,
        (top_padding, left_padding),
        (bottom_padding, right_padding),
        target_height,
        target_width,
        "padding",
    )
    return apply(_frame, [images], pads=pads, fill_value=0.0, rank=spec.ndim, first=first)
