"""Filter weight matrices of image resizing, as ``jax.image.resize`` builds them.

Resizing one axis from ``in_size`` to ``out_size`` samples is the product with an
``(in_size, out_size)`` matrix. The front end resizes with these matrices where ONNX ``Resize``
has no such filter (bicubic with Keys a = -0.5 on every layout, lanczos3/5), and the ``Resize``
gradient rule applies their transposes (the adjoint of linear / nearest resizing).
"""

from __future__ import annotations

import numpy as np


def _kernel(method: str, x: np.ndarray) -> np.ndarray:
    if method == "bilinear":
        return np.maximum(0.0, 1.0 - x)
    if method == "bicubic":  # Keys, a = -0.5
        near = ((1.5 * x - 2.5) * x) * x + 1.0
        far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
        return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))
    radius = 3.0 if method == "lanczos3" else 5.0
    with np.errstate(divide="ignore", invalid="ignore"):
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi**2 * x**2)
    return np.where(x > radius, 0.0, np.where(x > 1e-3, y, 1.0))


def resize_weights(in_size: int, out_size: int, method: str, antialias: bool) -> np.ndarray:
    """(in_size, out_size) float64 taps for ``method`` (``bilinear``, ``nearest``, ``bicubic``,
    ``lanczos3``, ``lanczos5``): half-pixel centres, taps renormalised over the input, the
    filter widened by the downscaling factor with ``antialias`` (not for nearest)."""
    inv_scale = in_size / out_size
    if method == "nearest":  # jax picks floor((i + 0.5) * in / out)
        picks = np.minimum(np.floor((np.arange(out_size) + 0.5) * inv_scale), in_size - 1)
        return (np.arange(in_size)[:, None] == picks[None, :]).astype(np.float64)
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    centres = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    dist = np.abs(centres[None, :] - np.arange(in_size)[:, None]) / kernel_scale
    weights = _kernel(method, dist)
    total = weights.sum(axis=0, keepdims=True)
    ok = np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps)
    weights = np.where(ok, weights / np.where(total != 0, total, 1.0), 0.0)
    inside = (centres >= -0.5) & (centres <= in_size - 0.5)
    return np.where(inside[None, :], weights, 0.0)
