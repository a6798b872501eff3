"""``keras.visualization.draw_bounding_boxes``, in numpy (outlines) and Pillow (labels).

Keras draws with OpenCV; here a box's outline is computed with numpy as the pixels near
the rectangle ``(x1, y1)``-``(x2, y2)`` (see ``draw_rectangle``): OpenCV's pixels, rounded
corners included. Labels use Pillow's default font rather than OpenCV's Hershey font (same
position: the baseline starts where OpenCV's text origin is); without Pillow they are not
drawn.
"""

from __future__ import annotations

import numpy as np

from kgraph.config import image_data_format
from kgraph.utils.bounding_boxes import convert_format


def _to_numpy(value) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _check_inputs(images, bounding_boxes):
    if len(np.shape(images)) != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={tuple(np.shape(images))}"
        )
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "`bounding_boxes` should be a dict. "
            f"Received: bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and "
            f"'labels' keys. Received: bounding_boxes={bounding_boxes}"
        )


def _as_uint8(images: np.ndarray) -> np.ndarray:
    """Keras' conversion: floats in [0, 1] are scaled to [0, 255], others clipped to it."""
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    return images.astype("uint8")


def draw_rectangle(image: np.ndarray, corners, color, thickness: int) -> None:
    """Draws the outline of the box ``corners = (x1, y1, x2, y2)`` (inclusive pixel
    coordinates) into the ``(h, w, c)`` uint8 ``image`` in place, as OpenCV's ``rectangle``
    does: the pixels within ``r`` of the outline (Euclidean, so outer corners are round),
    ``r = 0`` for a thickness of 1 and ``(thickness + 1) // 2`` above; ``thickness < 0``
    fills the box."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = corners
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    value = np.zeros(image.shape[-1], dtype="float64")
    color = list(color)[: image.shape[-1]]
    value[: len(color)] = color
    ys, xs = np.arange(height)[:, None], np.arange(width)[None, :]
    dx = np.maximum(np.maximum(x1 - xs, xs - x2), 0)
    dy = np.maximum(np.maximum(y1 - ys, ys - y2), 0)
    inside = (dx == 0) & (dy == 0)
    if thickness < 0:
        image[inside] = value.astype(image.dtype)
        return
    radius = 0 if thickness <= 1 else (int(thickness) + 1) // 2
    to_edge = np.minimum(np.minimum(xs - x1, x2 - xs), np.minimum(ys - y1, y2 - ys))
    near = np.where(inside, to_edge <= radius, dx * dx + dy * dy <= radius * radius)
    image[near] = value.astype(image.dtype)


def text_origin(x, y, font_scale, thickness):
    """Where Keras puts a label's baseline: above the box, or inside it near the top."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _draw_text(image: np.ndarray, text: str, origin, color, font_scale) -> None:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:  # pragma: no cover - Pillow is optional
        return
    channels = image.shape[-1]
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels)
    if mode is None:
        return
    canvas = Image.fromarray(image[..., 0] if channels == 1 else image, mode)
    font = ImageFont.load_default(size=max(1, round(30 * font_scale)))  # ~ Hershey widths
    fill = tuple(int(c) for c in list(color)[:channels]) + (255,) * (channels == 4)
    ImageDraw.Draw(canvas).text(
        origin, text, fill=fill[0] if channels == 1 else fill, font=font, anchor="ls"
    )
    image[...] = np.asarray(canvas).reshape(image.shape)


def draw_bounding_boxes(
    images,
    bounding_boxes,
    bounding_box_format,
    class_mapping=None,
    color=(128, 128, 128),
    line_thickness=2,
    text_thickness=1,
    font_scale=1.0,
    data_format=None,
):
    """Draws ``bounding_boxes`` (``{"boxes": (batch, n, 4), "labels": (batch, n)}``, plus
    optional ``"confidences"``) in ``bounding_box_format`` on a copy of ``images`` (uint8,
    ``(batch, h, w, c)`` as Keras returns it). Boxes labelled -1 are padding and skipped; a
    label in ``class_mapping`` is written above its box (with its confidence)."""
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or image_data_format()
    _check_inputs(images, bounding_boxes)
    shape = np.shape(images)
    height, width = (shape[1], shape[2]) if data_format == "channels_last" else shape[2:]
    boxes = convert_format(dict(bounding_boxes), bounding_box_format, "xyxy", height, width)
    images = _as_uint8(_to_numpy(images))
    coords = _to_numpy(boxes["boxes"])
    labels = _to_numpy(boxes["labels"])
    confidences = boxes.get("confidences")
    confidences = None if confidences is None else _to_numpy(confidences)
    for i in range(images.shape[0]):
        for j in range(coords.shape[1]):
            x1, y1, x2, y2 = (int(v) for v in coords[i, j].astype("int32"))
            label = int(np.asarray(labels[i, j]).astype("int32"))
            if label == -1:
                continue
            draw_rectangle(images[i], (x1, y1, x2, y2), color, line_thickness)
            if label in class_mapping:
                text = class_mapping[label]
                if confidences is not None:
                    text = f"{text} | {confidences[i][j]:.2f}"
                origin = text_origin(x1, y1, font_scale, text_thickness)
                _draw_text(images[i], text, origin, color, font_scale)
    return images
