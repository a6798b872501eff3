"""``kgraph.ops.image``: Keras' image ops, lowered to ONNX (Resize, GatherND sampling, Slice, Pad).

Images are rank 4 ``(N, H, W, C)`` batches or rank 3 single images (channels_first when
``data_format="channels_first"``). Height and width must be static (known when the graph is
built), except for ``affine_transform`` and a nearest or bilinear ``resize`` without
aspect-ratio cropping or padding; the batch axis may stay dynamic. Differences from Keras:
``resize`` has no area filter (bicubic and lanczos run as two MatMuls with the weights
``jax.image.resize`` uses), and ``affine_transform`` applies the projective part ``c0, c1``
exactly (Keras' JAX backend treats it loosely; every Keras layer leaves it zero).
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import image_lowering as low
from kgraph.ops.core import Op, Spec, _spec_of, apply
from kgraph.ops.lowering import cast
from kgraph.utils.argument_validation import standardize_data_format

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
#: Filters ONNX Resize lacks (or ORT runs only on some layouts): two MatMuls with the weight
#: matrices ``jax.image.resize`` builds, computed here at trace time.
MATMUL_FILTERS = ("bicubic", "lanczos3", "lanczos5")
AFFINE_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
FILL_MODES = low.FILL_MODES


def _layout(spec: Spec, data_format) -> tuple[bool, int, int, int]:
    """(channels_first, height axis, width axis, channel axis) of an image spec."""
    if spec.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={spec.shape}"
        )
    first = standardize_data_format(data_format) == "channels_first"
    off = spec.ndim - 3
    h, w, c = (off + 1, off + 2, off) if first else (off, off + 1, off + 2)
    return first, h, w, c


def _static_hw(spec: Spec, h: int, w: int, op: str) -> tuple[int, int]:
    height, width = spec.shape[h], spec.shape[w]
    if height is None or width is None:
        raise ValueError(
            f"{op} needs static image height and width. Received: images.shape={spec.shape}"
        )
    return int(height), int(width)


def _with_hw(spec: Spec, h: int, w: int, size, dtype=None) -> Spec:
    shape = list(spec.shape)
    shape[h], shape[w] = size
    return Spec(tuple(shape), dtype or spec.dtype)


def _float(dtype: str) -> str:
    return dtype if dtype.startswith("float") else "float32"


# -- resize ------------------------------------------------------------------------------------


def _resize_lower(
    b, x, *, matmul, in_size, size, interpolation, antialias, crop, pad, fill_value, layout, dtype
):
    rank, first, cast_input = layout
    x = low.nhwc(b, x, rank, first)
    if cast_input:
        x = cast(b, x, dtype)
    if crop is not None:
        (top, height), (left, width) = crop
        x = b.op(
            "Slice",
            [
                x,
                b.constant(np.asarray([top, left])),
                b.constant(np.asarray([top + height, left + width])),
                b.constant(np.asarray([1, 2])),
            ],
        )
    if pad is not None:
        pads = np.asarray([0, pad[0][0], pad[1][0], 0, 0, pad[0][1], pad[1][1], 0], np.int64)
        x = b.op("Pad", [x, b.constant(pads), b.constant(np.asarray(fill_value, dtype))])
    attrs = {"coordinate_transformation_mode": "half_pixel"}
    if interpolation == "nearest":
        # floor((i + 0.5) / scale) as jax.image.resize picks: half_pixel then round-half-up
        attrs.update(mode="nearest", nearest_mode="round_prefer_ceil")
    else:
        cubic = interpolation == "bicubic"
        attrs.update(mode="cubic" if cubic else "linear", antialias=int(antialias))
        if cubic or antialias:  # renormalise over in-image taps, as jax.image.resize does
            attrs["exclude_outside"] = 1
        if cubic:
            attrs["cubic_coeff_a"] = -0.5
    # full-rank sizes: ORT's transpose optimizer mishandles Resize's ``axes`` attribute
    sizes = b.op(
        "Concat",
        [
            b.op("Shape", [x], {"end": 1}),
            b.constant(np.asarray(size, np.int64)),
            b.op("Shape", [x], {"start": 3}),
        ],
        {"axis": 0},
    )
    if matmul:
        y = low.resize_by_matmul(b, x, interpolation, antialias, in_size, size, dtype)
    else:
        y = b.op("Resize", [x, None, None, sizes], attrs)
    return low.restore(b, y, rank, first)


def _aspect_box(height, width, target):
    """(start, size) per axis of the centred box of the target's aspect ratio (Keras' rule)."""
    th, tw = target
    crop_h = max(min(height, int(float(width * th) / tw)), 1)
    crop_w = max(min(width, int(float(height * tw) / th)), 1)
    return (int((height - crop_h) / 2), crop_h), (int((width - crop_w) / 2), crop_w)


def _pad_box(height, width, target):
    """(before, after) padding per axis that gives the target's aspect ratio (Keras' rule)."""
    th, tw = target
    pad_h = max(0, int(float(width * th) / tw) - height)
    pad_w = max(0, int(float(height * tw) / th) - width)
    return (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)


_resize = Op(
    "image.resize",
    lambda x, *, size, layout, dtype, **_: _with_hw(x, *_layout(x, _fmt(layout))[1:3], size, dtype),
    _resize_lower,
    promote=False,
)


def _fmt(layout) -> str:
    return "channels_first" if layout[1] else "channels_last"


def _resizes_any_size(spec: Spec, h: int, w: int, interpolation, crop, pad) -> bool:
    """Whether ONNX Resize alone does this resize, so the input's height and width may be
    known at run time only (a model that takes images of any size and resizes them first)."""
    dynamic = spec.shape[h] is None or spec.shape[w] is None
    return dynamic and interpolation in ("nearest", "bilinear") and not (crop or pad)


def _check_resize(size, interpolation, crop, pad, fill_mode) -> None:
    """Keras' argument checks of ``resize``, each a one-line error quoting the value."""
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected of one {RESIZE_INTERPOLATIONS} "
            f"(ONNX has no area filter). Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
            f"Received: fill_mode={fill_mode}"
        )
    if crop and pad:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
        )
    if len(tuple(size)) != 2:
        raise ValueError(
            "Argument `size` must be a tuple of two elements (height, width). "
            f"Received: size={size}"
        )


def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Resizes images to ``size = (height, width)`` (half-pixel centres, as Keras).

    ``bilinear`` and ``bicubic`` (Keys, a = -0.5) with ``antialias`` widen the filter when
    downscaling, as ``jax.image.resize`` does. ``crop_to_aspect_ratio`` first cuts the largest
    centred box of the target's aspect ratio; ``pad_to_aspect_ratio`` pads with ``fill_value``
    instead. Integer images come back as float32.
    """
    _check_resize(size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio, fill_mode)
    size = tuple(int(s) for s in size)
    spec = _spec_of(images)
    first, h, w, _ = _layout(spec, data_format)
    if _resizes_any_size(spec, h, w, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio):
        height, width = spec.shape[h], spec.shape[w]
    else:
        height, width = _static_hw(spec, h, w, "resize")
    crop = _aspect_box(height, width, size) if crop_to_aspect_ratio else None
    pad = _pad_box(height, width, size) if pad_to_aspect_ratio else None
    if crop is not None:
        in_size = (crop[0][1], crop[1][1])
    elif pad is not None:
        in_size = (height + sum(pad[0]), width + sum(pad[1]))
    else:
        in_size = (height, width)
    return apply(
        _resize,
        [images],
        matmul=interpolation in MATMUL_FILTERS,
        in_size=in_size,
        size=size,
        interpolation=interpolation,
        antialias=bool(antialias),
        crop=crop,
        pad=pad,
        fill_value=float(fill_value),
        layout=(spec.ndim, first, _float(spec.dtype) != spec.dtype),
        dtype=_float(spec.dtype),
    )


from kgraph.ops.image_affine import affine_transform  # noqa: E402
from kgraph.ops.image_blur import gaussian_blur  # noqa: E402
from kgraph.ops.image_color import (  # noqa: E402  (re-exported: one public module)
    crop_images,
    hsv_to_rgb,
    pad_images,
    rgb_to_grayscale,
    rgb_to_hsv,
)
from kgraph.ops.image_more import (  # noqa: E402
    elastic_transform,
    extract_patches_3d,
    sobel_edges,
    ssim,
)
from kgraph.ops.image_patches import extract_patches, map_coordinates  # noqa: E402
from kgraph.ops.image_perspective import perspective_transform  # noqa: E402
from kgraph.ops.image_scale import scale_and_translate  # noqa: E402

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]
