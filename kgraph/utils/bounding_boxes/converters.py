"""Bounding-box format conversion (Keras 3's ``keras.utils.bounding_boxes.convert_format``).

Every format goes through ``xyxy`` with the same arithmetic as Keras (centres as
``x1 + (x2 - x1) / 2``, relative corners divided by the image size), so float32 results agree
with Keras to the last bit or so. Written with ``kgraph.ops``: numpy arrays in, numpy arrays
out, and the same code traces inside a model (boxes as symbolic tensors, ``height`` and
``width`` numbers or tensors).
"""

from __future__ import annotations

from kgraph import ops
from kgraph.ops.shapes import static_shape

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


def split4(boxes):
    """The four coordinate columns of ``(..., 4)`` boxes, each ``(..., 1)``."""
    return ops.split(boxes, 4, axis=-1)


def join(columns):
    return ops.concatenate(columns, axis=-1)


def clip(x, low, high):
    """``x`` clipped to ``[low, high]`` (``high=None``: no upper bound); bounds may be tensors,
    which ``ops.clip`` does not take."""
    x = ops.maximum(x, low)
    return x if high is None else ops.minimum(x, high)


def _corners_from_center(cx, cy, w, h):
    half_w, half_h = w / 2.0, h / 2.0
    return [cx - half_w, cy - half_h, cx + half_w, cy + half_h]


def to_xyxy(boxes, source, height, width):
    """Absolute ``xyxy`` boxes from ``source`` ones."""
    a, b, c, d = split4(boxes)
    if source == "xyxy":
        return boxes
    if source == "yxyx":
        return join([b, a, d, c])
    if source == "xywh":
        return join([a, b, a + c, b + d])
    if source == "center_xywh":
        return join(_corners_from_center(a, b, c, d))
    if source == "center_yxhw":
        return join(_corners_from_center(b, a, d, c))
    if source == "rel_xyxy":
        return join([a * width, b * height, c * width, d * height])
    if source == "rel_yxyx":
        return join([b * width, a * height, d * width, c * height])
    if source == "rel_xywh":
        return join([a * width, b * height, (a + c) * width, (b + d) * height])
    x1, y1, x2, y2 = _corners_from_center(a, b, c, d)  # rel_center_xywh
    return join([x1 * width, y1 * height, x2 * width, y2 * height])


def from_xyxy(boxes, target, height, width):
    """``target`` boxes from absolute ``xyxy`` ones."""
    x1, y1, x2, y2 = split4(boxes)
    w, h = x2 - x1, y2 - y1
    if target == "xyxy":
        return boxes
    if target == "yxyx":
        return join([y1, x1, y2, x2])
    if target == "xywh":
        return join([x1, y1, w, h])
    cx, cy = x1 + w / 2.0, y1 + h / 2.0
    if target == "center_xywh":
        return join([cx, cy, w, h])
    if target == "center_yxhw":
        return join([cy, cx, h, w])
    if target == "rel_xyxy":
        return join([x1 / width, y1 / height, x2 / width, y2 / height])
    if target == "rel_yxyx":
        return join([y1 / height, x1 / width, y2 / height, x2 / width])
    if target == "rel_xywh":
        return join([x1 / width, y1 / height, w / width, h / height])
    return join([cx / width, cy / height, w / width, h / height])  # rel_center_xywh


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """``boxes`` (``(..., 4)``, or a dict whose ``"boxes"`` entry is converted in place and
    the dict returned, as Keras does) from format ``source`` to ``target``, cast to ``dtype``.

    Formats are Keras' (case-insensitive): ``xyxy``, ``yxyx``, ``xywh``, ``center_xywh``,
    ``center_yxhw`` and the relative ``rel_xyxy``, ``rel_yxyx``, ``rel_xywh``,
    ``rel_center_xywh``, for which ``height`` and ``width`` (the image size) are required.
    """
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return boxes
    shape = static_shape(boxes)
    if shape[-1] != 4:
        raise ValueError(
            f"`boxes` must be a tensor with the last dimension of 4. Received: boxes.shape={shape}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        width is None or height is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` transforming between "
            f"relative and absolute formats. convert_format() received source=`{source}`, "
            f"target=`{target}`, but height={height} and width={width}."
        )
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    width = None if width is None else ops.cast(width, dtype)
    height = None if height is None else ops.cast(height, dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    return from_xyxy(to_xyxy(boxes, source, height, width), target, height, width)
