"""Image resizing in numpy with the semantics of TensorFlow's ``tf.image.resize``.

Keras' ``image_dataset_from_directory`` resizes with ``tf.image.resize`` (half-pixel centres,
no antialiasing by default). Pillow's ``resize`` always filters over the whole footprint when
it shrinks an image (it antialiases), so its results differ from Keras' when downscaling; this
module reproduces TensorFlow's arithmetic instead. Every method is a per-axis weight matrix
(output pixel x input pixel), applied axis by axis through its few non-zero taps.
"""

from __future__ import annotations

import functools
import math

import numpy as np

INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
# Methods whose resize to the same size returns the image unchanged.
_IDENTITY_AT_SAME_SIZE = {"bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"}


def _triangle(x):
    return np.maximum(0.0, 1.0 - np.abs(x))


def _keys_cubic(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _lanczos(radius):
    def kernel(x):
        return np.where(np.abs(x) < radius, np.sinc(x) * np.sinc(x / radius), 0.0)

    return kernel


def _gaussian(x):
    sigma = 1.5 / 3.0
    return np.where(np.abs(x) < 1.5, np.exp(-(x * x) / (2 * sigma * sigma)), 0.0)


def _mitchell(x):
    x = np.abs(x)
    near = (7 * x**3 - 12 * x**2 + 16 / 3) / 6
    far = (-7 / 3 * x**3 + 12 * x**2 - 20 * x + 32 / 3) / 6
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


# method -> (kernel, radius) for TensorFlow's separable-kernel resampler (scale_and_translate).
_KERNELS = {
    "bilinear": (_triangle, 1.0),
    "bicubic": (_keys_cubic, 2.0),
    "lanczos3": (_lanczos(3), 3.0),
    "lanczos5": (_lanczos(5), 5.0),
    "gaussian": (_gaussian, 1.5),
    "mitchellcubic": (_mitchell, 2.0),
}


def _kernel_weights(in_size, out_size, method, antialias):
    """Each output pixel samples the input at its centre; taps outside the image are dropped
    and the remaining weights renormalised, as TensorFlow does."""
    kernel, radius = _KERNELS[method]
    inv_scale = in_size / out_size
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    centres = (np.arange(out_size) + 0.5) * inv_scale - 0.5
    if method == "bicubic" and not antialias:
        # ResizeBicubic reads its coefficients from a 1024-entry table.
        whole = np.floor(centres)
        centres = whole + np.round((centres - whole) * 1024) / 1024
    reach = math.ceil(radius * kernel_scale) + 1
    base = np.floor(centres).astype(np.int64)
    taps = base[:, None] + np.arange(-reach, reach + 1)[None, :]
    weights = kernel((taps - centres[:, None]) / kernel_scale)
    weights = np.where((taps >= 0) & (taps < in_size), weights, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, total, out=np.zeros_like(weights), where=np.abs(total) > 1e-30)
    matrix = np.zeros((out_size, in_size))
    rows = np.repeat(np.arange(out_size), taps.shape[1])
    np.add.at(matrix, (rows, np.clip(taps, 0, in_size - 1).ravel()), weights.ravel())
    return matrix


def _area_weights(in_size, out_size):
    """Each output pixel averages the input span it covers (fractional pixels weighted)."""
    scale = in_size / out_size
    starts = np.arange(out_size)[:, None] * scale
    pixels = np.arange(in_size)[None, :]
    overlap = np.minimum(pixels + 1, starts + scale) - np.maximum(pixels, starts)
    return np.maximum(overlap, 0.0) / scale


def _nearest_weights(in_size, out_size):
    index = np.floor((np.arange(out_size) + 0.5) * (in_size / out_size)).astype(np.int64)
    matrix = np.zeros((out_size, in_size))
    matrix[np.arange(out_size), np.minimum(index, in_size - 1)] = 1.0
    return matrix


def resize_weights(in_size: int, out_size: int, method: str, antialias: bool = False):
    """The ``(out_size, in_size)`` matrix that resizes one axis (float64)."""
    if method == "nearest":
        return _nearest_weights(in_size, out_size)
    if method == "area":
        return _area_weights(in_size, out_size)
    if method not in _KERNELS:
        raise ValueError(
            f"Argument `interpolation` should be one of {INTERPOLATIONS}. "
            f"Received: interpolation={method}"
        )
    return _kernel_weights(in_size, out_size, method, antialias)


@functools.lru_cache(maxsize=64)
def _taps(in_size: int, out_size: int, method: str, antialias: bool):
    """The non-zero entries of ``resize_weights`` row by row: ``(indices, weights)``, both
    ``(out_size, taps)``, padded with weight 0. Resizing gathers and sums these few taps instead
    of multiplying by the dense matrix: no BLAS call (OpenBLAS' own threads stall when decoding
    threads and other processes share the cores) and a handful of products per pixel."""
    matrix = resize_weights(in_size, out_size, method, antialias)
    count = max(1, int((matrix != 0).sum(axis=1).max()))
    indices = np.argsort(matrix == 0, axis=1, kind="stable")[:, :count]
    weights = np.take_along_axis(matrix, indices, axis=1).astype(np.float32)
    return indices, weights


@functools.lru_cache(maxsize=64)
def _interleaved_taps(in_size: int, out_size: int, method: str, antialias: bool, channels: int):
    """``_taps`` for the columns of a ``(height, width * channels)`` view: each tap's index
    and weight repeated per channel, so the products run along whole rows (a weight broadcast
    over a 3-long channel axis makes numpy's inner loop 3 elements long, 2x slower)."""
    indices, weights = _taps(in_size, out_size, method, antialias)
    lanes = np.arange(channels)
    flat = indices[:, None, :] * channels + lanes[None, :, None]  # (out, channels, taps)
    count = indices.shape[1]
    flat_weights = np.repeat(weights[:, None, :], channels, axis=1)
    return flat.reshape(-1, count), flat_weights.reshape(-1, count)


def _weigh_taps(image, axis: int, indices, weights, out=None):
    """Sum over taps of ``take(image, indices[:, k]) * weights[:, k]`` along ``axis``, in tap
    order (the same float32 sums for any input dtype: a uint8 tap times a float32 weight is
    exact before the sum), into ``out`` (float32, any strides) when given."""
    shape = [1] * image.ndim
    shape[axis] = indices.shape[0]
    first = np.take(image, indices[:, 0], axis=axis)
    out = np.multiply(first, weights[:, 0].reshape(shape), out=out, dtype=np.float32)
    for k in range(1, indices.shape[1]):
        out += np.take(image, indices[:, k], axis=axis) * weights[:, k].reshape(shape)
    return out


def _resize_axis(image, axis: int, out_size: int, method: str, antialias: bool, out=None):
    """One axis of an ``(height, width, channels)`` image; columns go through the
    ``(height, width * channels)`` view. ``out`` receives the result without a temporary
    when it is contiguous (a channels-last batch slot), else by one copy."""
    if axis != 1 or image.ndim != 3:
        indices, weights = _taps(image.shape[axis], out_size, method, antialias)
        return _weigh_taps(image, axis, indices, weights, out)
    height, width, channels = image.shape
    indices, weights = _interleaved_taps(width, out_size, method, antialias, channels)
    flat_out = None
    if out is not None and out.flags.c_contiguous:
        flat_out = out.reshape(height, out_size * channels)
    rows = image.reshape(height, width * channels)
    result = _weigh_taps(rows, 1, indices, weights, flat_out).reshape(height, out_size, channels)
    if out is None:
        return result
    if flat_out is None:
        out[...] = result
    return out


def resize(image, size, interpolation="bilinear", antialias=False, out=None) -> np.ndarray:
    """Resizes an ``(height, width, channels)`` image to ``size`` = (height, width), float32.

    ``image`` may be uint8 (as decoded): the first pass reads it directly, so the full-size
    image is never converted to float32. ``out``, a float32 ``(*size, channels)`` array or view
    (a slot of a preallocated batch), receives the result, which is also returned.
    """
    image = np.asarray(image)
    if image.dtype not in (np.uint8, np.float32):
        image = image.astype(np.float32)
    height, width = image.shape[:2]
    out_h, out_w = int(size[0]), int(size[1])
    if (height, width) == (out_h, out_w) and interpolation in _IDENTITY_AT_SAME_SIZE:
        if out is None:
            return image.astype(np.float32, copy=False)
        out[...] = image
        return out
    if interpolation not in INTERPOLATIONS:
        resize_weights(height, out_h, interpolation)  # raises the error naming the method
    antialias = bool(antialias)
    if out_h * width <= height * out_w:  # shrink the axis that removes more pixels first
        image = _resize_axis(image, 0, out_h, interpolation, antialias)
        return _resize_axis(image, 1, out_w, interpolation, antialias, out)
    image = _resize_axis(image, 1, out_w, interpolation, antialias)
    return _resize_axis(image, 0, out_h, interpolation, antialias, out)


def crop_to_aspect_ratio(image, size) -> np.ndarray:
    """The largest centred window of ``image`` with the aspect ratio of ``size`` (Keras'
    ``smart_resize`` crop)."""
    height, width = image.shape[:2]
    target_h, target_w = size
    crop_h = min(height, int(float(width * target_h) / target_w))
    crop_w = min(width, int(float(height * target_w) / target_h))
    top = int(float(height - crop_h) / 2)
    left = int(float(width - crop_w) / 2)
    return image[top : top + crop_h, left : left + crop_w]


def resize_with_pad(image, size, interpolation="bilinear", out=None) -> np.ndarray:
    """Resizes keeping the aspect ratio, then pads with zeros to ``size`` (centred), as
    ``tf.image.resize_with_pad`` does; ``out`` as in ``resize``."""
    height, width = image.shape[:2]
    target_h, target_w = int(size[0]), int(size[1])
    ratio = max(width / target_w, height / target_h)
    new_h, new_w = math.floor(height / ratio), math.floor(width / ratio)
    if out is None:
        out = np.zeros((target_h, target_w, image.shape[2]), np.float32)
    else:
        out[...] = 0
    top = max(0, math.floor((target_h - new_h) / 2))
    left = max(0, math.floor((target_w - new_w) / 2))
    resize(image, (new_h, new_w), interpolation, out=out[top : top + new_h, left : left + new_w])
    return out
