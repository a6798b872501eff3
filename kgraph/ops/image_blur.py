"""``gaussian_blur`` of ``kgraph.ops.image``, and the per-sample separable blur that
RandomGaussianBlur needs (its sigmas are tensors, one per image)."""

from __future__ import annotations

import numpy as np

from kgraph.ops import numpy as knp
from kgraph.ops.array import reshape, transpose
from kgraph.ops.conv_ops import depthwise_conv
from kgraph.ops.core import _spec_of
from kgraph.utils.argument_validation import standardize_data_format


def _kernel1d(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs images with a normalised Gaussian kernel and zero padding ('same' size):
    ``kernel_size`` and ``sigma`` are (x, y) pairs, the first along the width, the second along
    the height, as Keras documents. (Keras 3.15's JAX backend blurs along the width only and
    loses mass; kgraph follows scipy.ndimage.correlate with the full 2-D kernel.)"""
    data_format = standardize_data_format(data_format)
    spec = _spec_of(images)
    if spec.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={spec.shape}"
        )
    kx, ky = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    sx, sy = (sigma, sigma) if np.ndim(sigma) == 0 else (float(sigma[0]), float(sigma[1]))
    kernel = np.outer(_kernel1d(ky, sy), _kernel1d(kx, sx)).astype(np.float32)
    first = data_format == "channels_first"
    x = images if spec.ndim == 4 else reshape(images, (1, *spec.shape))
    x = transpose(x, (0, 2, 3, 1)) if first else x
    kernel = np.tile(kernel[:, :, None, None], (1, 1, x.shape[-1], 1))
    out = depthwise_conv(x, kernel, 1, "same")
    out = transpose(out, (0, 3, 1, 2)) if first else out
    return out if spec.ndim == 4 else reshape(out, spec.shape)


def _band(length: int, size: int, sigma):
    """(batch, length, length) matrices applying a size-tap Gaussian of per-sample ``sigma``
    ((batch, 1, 1)) along an axis, zero padded."""
    r = size // 2
    d = np.arange(length)[None, :] - np.arange(length)[:, None]
    taps = np.arange(-r, r + 1, dtype=np.float32).reshape(1, 1, -1)
    norm = knp.sum(knp.exp(-0.5 * (taps / sigma) ** 2), axis=-1, keepdims=True)
    weights = knp.exp(-0.5 * (d.astype(np.float32) / sigma) ** 2) / norm
    return weights * (np.abs(d) <= r).astype(np.float32)


def blur_per_sample(images, kernel_size, sigma_x, sigma_y, data_format="channels_last"):
    """``gaussian_blur`` with one (sigma_x, sigma_y) per image ((batch,) tensors each), as
    two batched MatMuls with banded matrices."""
    first = data_format == "channels_first"
    x = transpose(images, (0, 2, 3, 1)) if first else images  # N H W C
    _, h, w, c = x.shape
    kx, ky = kernel_size
    a_h = _band(h, ky, reshape(sigma_y, (-1, 1, 1)))
    a_w = _band(w, kx, reshape(sigma_x, (-1, 1, 1)))
    y = reshape(knp.matmul(a_h, reshape(x, (-1, h, w * c))), (-1, h, w, c))
    y = transpose(y, (0, 2, 1, 3))  # N W H C
    y = reshape(knp.matmul(a_w, reshape(y, (-1, w, h * c))), (-1, w, h, c))
    y = transpose(y, (0, 2, 1, 3))
    return transpose(y, (0, 3, 1, 2)) if first else y
