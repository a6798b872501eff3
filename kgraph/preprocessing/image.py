"""``keras.preprocessing.image``: the image file helpers of ``kgraph.utils`` and
``smart_resize``, which resizes to a target size without distorting the aspect ratio."""

from __future__ import annotations

import numpy as np

from kgraph.utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def _crop_box(height: int, width: int, size) -> tuple[int, int, int, int]:
    """``(top, left, crop_height, crop_width)`` of the largest centred window with the aspect
    ratio of ``size``, at least one pixel each way (Keras' arithmetic, float then truncate)."""
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Crops the largest centred window of ``x`` with the aspect ratio of ``size``, then
    resizes it to ``size``, so that images of mixed shapes can be batched undistorted.

    Args:
        x: An image ``(height, width, channels)`` or a batch ``(batch, height, width,
            channels)`` (channels first with ``data_format="channels_first"``): a numpy array
            or a kgraph tensor, with a known height and width.
        size: ``(height, width)`` of the result.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"`` or
            ``"lanczos5"`` (the resize of ``kgraph.ops.image.resize``).
        data_format: ``"channels_last"`` or ``"channels_first"``.

    Returns:
        The resized image(s), float32; a numpy array for a numpy input.
    """
    from kgraph import ops  # the op layer loads on first use, as kgraph.utils' helpers do

    kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs.keys())}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = x if hasattr(x, "shape") and not isinstance(x, (list, tuple)) else np.asarray(x)
    if len(img.shape) < 3 or len(img.shape) > 4:
        raise ValueError(
            "Expected an image array with shape `(height, width, channels)`, or "
            "`(batch_size, height, width, channels)`, but got input with incorrect rank, "
            f"of shape {img.shape}."
        )
    rows = -3 if data_format == "channels_last" else -2
    if img.shape[rows] is None or img.shape[rows + 1] is None:
        raise ValueError(
            "smart_resize needs a known height and width (ONNX resizes to static sizes). "
            f"Received: x with shape {tuple(img.shape)}"
        )
    top, left, crop_h, crop_w = _crop_box(img.shape[rows], img.shape[rows + 1], size)
    window = [slice(None)] * len(img.shape)
    window[rows] = slice(top, top + crop_h)
    window[rows + 1] = slice(left, left + crop_w)
    img = img[tuple(window)]
    out = ops.image.resize(img, size=size, interpolation=interpolation, data_format=data_format)
    return np.asarray(out) if isinstance(x, np.ndarray) else out
