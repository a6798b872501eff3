"""Keras' image file helpers (``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``)
on Pillow and numpy, and the decoder ``image_dataset_from_directory`` runs in its threads."""

from __future__ import annotations

import io
import pathlib
import warnings

import numpy as np

from kgraph.utils import image_resize, jpeg_decode

_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _pil():
    from PIL import Image

    return Image


def _data_format(data_format):
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


def _pil_filters():
    image = _pil()
    return {
        "nearest": image.Resampling.NEAREST,
        "bilinear": image.Resampling.BILINEAR,
        "bicubic": image.Resampling.BICUBIC,
        "hamming": image.Resampling.HAMMING,
        "box": image.Resampling.BOX,
        "lanczos": image.Resampling.LANCZOS,
    }


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Loads an image file into a PIL image, resized with Pillow's filters as Keras does."""
    if isinstance(path, io.BytesIO):
        img = _pil().open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as f:
            img = _pil().open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode not in _MODES:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    mode = _MODES[color_mode]
    if not (color_mode == "grayscale" and img.mode in ("L", "I;16", "I")) and img.mode != mode:
        img = img.convert(mode)
    if target_size is None:
        return img
    wanted = (target_size[1], target_size[0])
    if img.size == wanted:
        return img
    filters = _pil_filters()
    if interpolation not in filters:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported "
            f"methods are {', '.join(filters)}"
        )
    box = None
    if keep_aspect_ratio:
        width, height = img.size
        crop_h = min(height, (width * wanted[1]) // wanted[0])
        crop_w = min(width, (height * wanted[0]) // wanted[1])
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize(wanted, filters[interpolation], box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a rank-3 numpy array (a channel axis is added to grayscale images)."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[..., None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A rank-3 array as a PIL image; ``scale`` stretches its values to 0-255 first."""
    data_format = _data_format(data_format)
    x = np.array(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return _pil().fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:
            return _pil().fromarray(x[:, :, 0].astype("int32"), "I")
        return _pil().fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes an image array to a file (the format from the suffix unless given)."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def _decode_with_pillow(data: bytes, mode: str) -> np.ndarray:
    with _pil().open(io.BytesIO(data)) as img:
        if mode == "L" and img.format == "JPEG":
            # libjpeg hands out its luma plane directly, as TensorFlow's grayscale JPEG
            # decoding does, instead of decoding colour and converting it back (faster).
            img.draft("L", None)
        img.load()
        if img.mode != mode:
            img = img.convert(mode)
        return np.asarray(img, dtype=np.uint8)


def decode_image(path: str, num_channels: int) -> np.ndarray:
    """The first frame of an image file as a uint8 ``(height, width, num_channels)`` array.

    A file Pillow cannot read fully (corrupt, truncated, not an image) raises one ValueError
    naming it, instead of being skipped.
    """
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[num_channels]
    try:
        with open(path, "rb") as file:
            data = file.read()
        array = jpeg_decode.decode_jpeg(data, mode)
        if array is None:
            array = _decode_with_pillow(data, mode)
    except (OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"Could not decode image file {path}: {error}") from None
    return array[..., None] if array.ndim == 2 else array


def load_resized(
    path,
    image_size,
    num_channels,
    interpolation="bilinear",
    data_format="channels_last",
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    out=None,
) -> np.ndarray:
    """Decodes and resizes one image exactly as ``image_dataset_from_directory`` does: float32,
    ``tf.image.resize`` arithmetic, optional centre crop or zero padding to the aspect ratio.

    ``out`` (float32, the image's final shape, e.g. one slot of a batch) receives the pixels:
    the decoded uint8 image goes straight into it through the resize, with no float32 copy of
    the full-size image and no per-image result to stack afterwards.
    """
    image = decode_image(path, num_channels)
    if out is None:
        height, width = int(image_size[0]), int(image_size[1])
        first = data_format == "channels_first"
        shape = (num_channels, height, width) if first else (height, width, num_channels)
        out = np.empty(shape, np.float32)
    target = out.transpose(1, 2, 0) if data_format == "channels_first" else out
    if crop_to_aspect_ratio:
        image = image_resize.crop_to_aspect_ratio(image, image_size)
        image_resize.resize(image, image_size, interpolation, out=target)
    elif pad_to_aspect_ratio:
        image_resize.resize_with_pad(image, image_size, interpolation, out=target)
    else:
        image_resize.resize(image, image_size, interpolation, out=target)
    return out


def load_resized_batch(paths, image_size, num_channels, data_format="channels_last", **options):
    """``load_resized`` for several files into one preallocated float32 batch array (what one
    worker task of ``image_dataset_from_directory`` builds): no per-image arrays, no stack.
    ``options`` are ``load_resized``'s ``interpolation`` and crop/pad flags."""
    height, width = int(image_size[0]), int(image_size[1])
    if data_format == "channels_first":
        shape = (len(paths), num_channels, height, width)
    else:
        shape = (len(paths), height, width, num_channels)
    batch = np.empty(shape, np.float32)
    for slot, path in zip(batch, paths):
        load_resized(path, image_size, num_channels, data_format=data_format, out=slot, **options)
    return batch
