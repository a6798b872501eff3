"""``scale_and_translate`` of ``kgraph.ops.image`` (``jax.image.scale_and_translate``'s
semantics): one resampling-weight matrix per spatial axis, built with ops from the (possibly
traced) ``scale`` and ``translation``, then contracted with the image (MatMul in ONNX)."""

from __future__ import annotations

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops.core import _spec_of

_METHODS = {
    "linear": "triangle",
    "bilinear": "triangle",
    "trilinear": "triangle",
    "triangle": "triangle",
    "cubic": "keys",
    "bicubic": "keys",
    "tricubic": "keys",
    "lanczos3": 3,
    "lanczos5": 5,
}


def _kernel(kind, x):
    """The filter's value at distances ``x`` (non-negative)."""
    if kind == "triangle":
        return knp.maximum(1.0 - x, 0.0)
    if kind == "keys":  # Keys' cubic, a = -0.5
        near = ((1.5 * x - 2.5) * x) * x + 1.0
        far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
        return knp.where(x >= 2.0, 0.0, knp.where(x >= 1.0, far, near))
    r = float(kind)
    y = r * knp.sin(np.pi * x) * knp.sin(np.pi * x / r)
    safe = knp.where(x > 1e-3, np.pi**2 * x * x, 1.0)
    return knp.where(x > r, 0.0, knp.where(x > 1e-3, y / safe, 1.0))


def weight_matrix(in_size: int, out_size: int, scale, translation, kind, antialias: bool, dtype):
    """(in_size, out_size) weights: output pixel centres mapped back into the input, the
    filter widened by 1/scale when downsampling with ``antialias``, columns normalised, and
    columns whose centre falls outside the input zeroed."""
    inv = 1.0 / scale
    widen = knp.maximum(inv, 1.0) if antialias else 1.0
    sample = (np.arange(out_size, dtype=dtype) + 0.5) * inv - translation * inv - 0.5
    dist = knp.abs(sample[None, :] - np.arange(in_size, dtype=dtype)[:, None]) / widen
    weights = _kernel(kind, dist)
    total = knp.sum(weights, axis=0, keepdims=True)
    ok = knp.abs(total) > 1000.0 * float(np.finfo(np.float32).eps)
    weights = knp.where(ok, weights / knp.where(total != 0, total, 1.0), 0.0)
    inside = knp.logical_and(sample >= -0.5, sample <= in_size - 0.5)
    return knp.where(inside[None, :], weights, 0.0)


def scale_and_translate(
    images, output_shape, scale, translation, spatial_dims, method, antialias=True
):
    """Resamples ``images`` to ``output_shape``: input point ``x`` lands at
    ``x * scale + translation`` along each of ``spatial_dims`` (half-pixel centres); output
    points whose source lies outside the input are zero. ``method`` is a linear, cubic (Keys)
    or Lanczos (3, 5) filter. The output shape and input spatial sizes must be static."""
    if method not in _METHODS:
        raise ValueError(
            f"Invalid value for argument `method`. Expected of one {set(_METHODS)}. "
            f"Received: method={method}"
        )
    spec = _spec_of(images)
    output_shape = tuple(int(d) for d in output_shape)
    spatial_dims = tuple(int(d) % spec.ndim for d in spatial_dims)
    if len(output_shape) != spec.ndim:
        raise ValueError(
            "`output_shape` must have one entry per axis of `images`. Received: "
            f"output_shape={output_shape}, images.shape={spec.shape}"
        )
    dtype = spec.dtype if spec.dtype.startswith("float") else "float32"
    x = knp.cast(images, dtype)
    scale, translation = knp.cast(scale, dtype), knp.cast(translation, dtype)
    for i, d in enumerate(spatial_dims):
        if spec.shape[d] is None:
            raise ValueError(f"scale_and_translate needs static sizes. Received: {spec.shape}")
        w = weight_matrix(
            int(spec.shape[d]),
            output_shape[d],
            scale[i],
            translation[i],
            _METHODS[method],
            antialias,
            dtype,
        )
        x = knp.moveaxis(knp.tensordot(x, w, axes=[[d], [0]]), -1, d)
    return x
