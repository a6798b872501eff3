"""Geometric operations on bounding boxes and the anchor-delta encoding, as Keras 3's
``keras.utils.bounding_boxes`` defines them (clip, affine transform, crop, pad,
``encode_box_to_deltas`` / ``decode_deltas_to_boxes``).

Like Keras, clipping takes ``xyxy`` or ``rel_xyxy`` boxes and the affine, crop and pad
operations ``xyxy`` boxes only; other formats raise ``NotImplementedError`` (convert them with
``convert_format`` first). All of it is ``kgraph.ops`` code, so it runs eagerly on numpy and
traces inside models.
"""

from __future__ import annotations

import math

from kgraph import config, ops
from kgraph.ops.shapes import static_shape
from kgraph.utils.bounding_boxes.converters import clip, convert_format, join, split4


def _xyxy_only(name, bounding_box_format):
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"{name}() handles `bounding_box_format='xyxy'` only, as Keras' does; convert the "
            f"boxes with `convert_format` first. Received: "
            f"bounding_box_format={bounding_box_format!r}"
        )


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """``bounding_boxes`` (a dict with ``"boxes"`` and optionally ``"labels"``) with the boxes
    clipped to the image (``[0, 1]`` for ``rel_xyxy``); a box left with no area gets label -1.
    Returns a new dict."""
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            "clip_to_image_size() handles `bounding_box_format` 'xyxy' or 'rel_xyxy' only, as "
            f"Keras' does. Received: bounding_box_format={bounding_box_format!r}"
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = bounding_boxes["boxes"]
    labels = bounding_boxes.get("labels", None)
    if not hasattr(boxes, "dtype"):
        boxes = ops.convert_to_tensor(boxes)
    dtype = boxes.dtype
    if bounding_box_format == "xyxy":
        width, height = ops.cast(width, dtype), ops.cast(height, dtype)
    else:
        width = height = 1.0
    x1, y1, x2, y2 = split4(boxes)
    x1, x2 = clip(x1, 0, width), clip(x2, 0, width)
    y1, y2 = clip(y1, 0, height), clip(y2, 0, height)
    result = dict(bounding_boxes)
    result["boxes"] = join([x1, y1, x2, y2])
    if labels is not None:
        areas = ops.squeeze((x2 - x1) * (y2 - y1), axis=-1)
        result["labels"] = ops.where(areas > 0, labels, -1)
    return result


def _inverse_affine_coefficients(angle, translate_x, translate_y, scale, shear_x, shear_y, size):
    """The first two rows ``(a0, a1, a2), (b0, b1, b2)`` of the inverse affine matrix Keras
    applies to box corners (TensorFlow's ``_get_inverse_affine_matrix``), per batch element.
    ``size`` is ``(height, width, center_x, center_y)``."""
    height, width, center_x, center_y = size
    degrees = math.pi / 180.0
    rot, sx, sy = -angle * degrees, -shear_x * degrees, -shear_y * degrees
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    cos_sy, tan_sx = ops.cos(sy), ops.tan(sx)
    a = ops.cos(rot - sy) / cos_sy
    b = a * tan_sx + ops.sin(rot)
    c = -ops.sin(rot - sy) / cos_sy
    d = ops.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    return (a0, a1, a2), (b0, b1, b2)


def affine_transform(
    boxes,
    angle,
    translate_x,
    translate_y,
    scale,
    shear_x,
    shear_y,
    height,
    width,
    center_x=None,
    center_y=None,
    bounding_box_format="xyxy",
):
    """Batched ``(batch, N, 4)`` xyxy boxes moved by Keras' inverse affine matrix (angles in
    degrees, translations and centre as fractions of the image size, one value per batch
    element or one for all), each box becoming the axis-aligned hull of its four moved
    corners."""
    _xyxy_only("affine_transform", bounding_box_format)
    if ops.ndim(boxes) != 3:
        raise ValueError(
            "affine_transform() expects batched boxes of shape (batch, N, 4). "
            f"Received: boxes.shape={static_shape(boxes)}"
        )
    angle = ops.convert_to_tensor(angle)
    dtype = angle.dtype if "float" in str(angle.dtype) else "float32"

    def per_batch(value):
        return ops.reshape(ops.cast(value, dtype), (-1, 1, 1))

    params = [per_batch(v) for v in (angle, translate_x, translate_y, scale, shear_x, shear_y)]
    center = (0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y)
    size = (height, width, *(per_batch(v) for v in center))
    (a0, a1, a2), (b0, b1, b2) = _inverse_affine_coefficients(*params, size)
    x1, y1, x2, y2 = split4(ops.cast(boxes, dtype))
    corners = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
    xs = [x * a0 + y * a1 + a2 for x, y in corners]
    ys = [x * b0 + y * b1 + b2 for x, y in corners]
    low_x, low_y, high_x, high_y = xs[0], ys[0], xs[0], ys[0]
    for x, y in zip(xs[1:], ys[1:]):
        low_x, low_y = ops.minimum(low_x, x), ops.minimum(low_y, y)
        high_x, high_y = ops.maximum(high_x, x), ops.maximum(high_y, y)
    return join([low_x, low_y, high_x, high_y])


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """xyxy ``boxes`` in the coordinates of the ``height`` x ``width`` crop at ``(top,
    left)``, clipped to it (``None`` sizes: no upper bound)."""
    _xyxy_only("crop", bounding_box_format)
    x1, y1, x2, y2 = split4(boxes)
    return join(
        [
            clip(x1 - left, 0, width),
            clip(y1 - top, 0, height),
            clip(x2 - left, 0, width),
            clip(y2 - top, 0, height),
        ]
    )


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """xyxy ``boxes`` shifted by the ``top`` and ``left`` padding of their image."""
    _xyxy_only("pad", bounding_box_format)
    x1, y1, x2, y2 = split4(boxes)
    return join([x1 + left, y1 + top, x2 + left, y2 + top])


def _check_encoding(variance, encoding, name):
    if variance is not None:
        variance = ops.convert_to_tensor(variance, "float32")
        if ops.shape(variance)[-1] != 4:
            raise ValueError(f"`variance` must be length 4, got {variance}")
    if encoding not in ("center_xywh", "center_yxhw"):
        raise ValueError(
            f"`encoding_format` should be one of 'center_xywh' or 'center_yxhw', got {encoding}"
            if name == "encoding_format"
            else f"`encoded_format` should be 'center_xywh' or 'center_yxhw', but got '{encoding}'."
        )
    return variance


def _image_size(image_shape):
    return (None, None) if image_shape is None else tuple(image_shape)[:2]


def encode_box_to_deltas(
    anchors,
    boxes,
    anchor_format,
    box_format,
    encoding_format="center_yxhw",
    variance=None,
    image_shape=None,
):
    """``boxes`` as deltas from ``anchors`` in ``encoding_format``: centre offsets over the
    anchor size and log size ratios (sizes floored at ``epsilon``), divided by ``variance``."""
    variance = _check_encoding(variance, encoding_format, "encoding_format")
    height, width = _image_size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_sizes = ops.maximum(anchors[..., 2:], config.epsilon())
    box_sizes = ops.maximum(boxes[..., 2:], config.epsilon())
    deltas = ops.concatenate(
        [(boxes[..., :2] - anchors[..., :2]) / anchor_sizes, ops.log(box_sizes / anchor_sizes)],
        axis=-1,
    )
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(
    anchors,
    boxes_delta,
    anchor_format,
    box_format,
    encoded_format="center_yxhw",
    variance=None,
    image_shape=None,
):
    """The inverse of ``encode_box_to_deltas``: boxes in ``box_format`` from deltas on
    ``anchors``; dicts of anchors and deltas (one entry per feature level) decode per key."""
    variance = _check_encoding(variance, encoded_format, "encoded_format")
    height, width = _image_size(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        if variance is not None:
            delta = delta * variance
        box = ops.concatenate(
            [
                delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                ops.exp(delta[..., 2:]) * anchor[..., 2:],
            ],
            axis=-1,
        )
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
