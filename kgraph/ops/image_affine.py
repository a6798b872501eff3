"""``kgraph.ops.image.affine_transform``: every output pixel reads the input point its
projective transform maps it to (GatherND sampling in :mod:`kgraph.ops.image_lowering`), on
images whose height and width may be known at run time only. Re-exported by
:mod:`kgraph.ops.image`.
"""

from __future__ import annotations

import numpy as np

from kgraph.ops import image_lowering as low
from kgraph.ops.core import Op, _spec_of, apply
from kgraph.ops.image import AFFINE_INTERPOLATIONS, FILL_MODES, _float, _fmt, _layout, _with_hw
from kgraph.ops.lowering import cast


def _affine_lower(b, x, t, *, order, fill_mode, fill_value, layout, size, out_size, dtype):
    rank, first, cast_input, one_transform = layout
    x = low.nhwc(b, x, rank, first)
    if cast_input:
        x = cast(b, x, dtype)
    t = cast(b, t, "float32")
    if one_transform:  # the same transform for every image of the batch
        rows = b.op(
            "Concat", [b.op("Shape", [x], {"end": 1}), b.constant(np.asarray([8]))], {"axis": 0}
        )
        t = b.op("Expand", [t, rows])
    out_size = [low.runtime_size(b, x, a + 1) if n is None else n for a, n in enumerate(out_size)]
    ys, xs = low.affine_points(b, t, out_size)
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


def _affine_infer(x, t, *, layout, out_size, dtype, **_):
    return _with_hw(x, *_layout(x, _fmt(layout))[1:3], out_size, dtype)


_affine = Op("image.affine_transform", _affine_infer, _affine_lower, promote=False)


def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
    output_size=None,
):
    """Applies projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one per image, or
    one for all) that map each output pixel ``(x, y)`` to the input point it reads.

    ``fill_mode`` says what points outside the image read: ``constant`` (``fill_value``),
    ``nearest`` (edge pixel), ``wrap``, ``mirror`` (``d c b | a b c d | c b a``) or ``reflect``
    (``d c b a | a b c d | d c b a``). ``output_size`` (a kgraph extension, used by RandomCrop)
    gives the output's height and width; by default it is the input's. The input's height and
    width may be unknown until run time (a model that takes images of any size).
    """
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(AFFINE_INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected of one "
            f"{FILL_MODES}. Received: fill_mode={fill_mode}"
        )
    spec, tspec = _spec_of(images), _spec_of(transform)
    first, h, w, _ = _layout(spec, data_format)
    if tspec.ndim not in (1, 2) or tspec.shape[-1] != 8:
        raise ValueError(
            "Invalid transform shape: expected (8,) or (batch, 8). "
            f"Received: transform.shape={tspec.shape}"
        )
    size = (spec.shape[h], spec.shape[w])  # None where only the run time knows the size
    return apply(
        _affine,
        [images, transform],
        order=AFFINE_INTERPOLATIONS[interpolation],
        fill_mode=fill_mode,
        fill_value=float(fill_value),
        layout=(spec.ndim, first, _float(spec.dtype) != spec.dtype, tspec.ndim == 1),
        size=size,
        out_size=tuple(output_size or size),
        dtype=_float(spec.dtype),
    )
