"""Pairwise IoU and elementwise complete IoU of bounding boxes (Keras 3's ``compute_iou`` and
``compute_ciou``), with Keras' epsilons so values agree to float32 rounding."""

from __future__ import annotations

import math

from kgraph import config, ops
from kgraph.utils.bounding_boxes.converters import convert_format, split4


def _rank_error(which, rank1, rank2):
    return ValueError(
        f"compute_iou() expects {which} to be batched, or to be unbatched. Received "
        f"len(boxes1.shape)={rank1}, len(boxes2.shape)={rank2}. Expected either "
        f"len({which}.shape)=2 AND or len({which}.shape)=3."
    )


def _relative_error(image_shape):
    return ValueError(
        "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
        f"argument must be provided.Received `image_shape`: {image_shape}"
    )


def _area(boxes):
    y1, x1, y2, x2 = split4(boxes)
    return ops.squeeze((y2 - y1) * (x2 - x1), axis=-1)


def _swap_last(x):
    """``(..., N, 1)`` columns as ``(..., 1, N)`` rows, to pair with another set's boxes."""
    return ops.swapaxes(x, -1, -2)


def _intersection(boxes1, boxes2):
    """``(..., M, N)`` intersection areas of yxyx boxes, broadcasting a batch axis."""
    y_min1, x_min1, y_max1, x_max1 = split4(boxes1)
    y_min2, x_min2, y_max2, x_max2 = (_swap_last(c) for c in split4(boxes2))
    height = ops.minimum(y_max1, y_max2) - ops.maximum(y_min1, y_min2)
    width = ops.minimum(x_max1, x_max2) - ops.maximum(x_min1, x_min2)
    return ops.maximum(height, 0) * ops.maximum(width, 0)


def compute_iou(
    boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1, image_shape=None
):
    """The ``(M, N)`` (or ``(batch, M, N)``) table of IoUs between ``boxes1`` ``(M, 4)`` or
    ``(batch, M, 4)`` and ``boxes2`` ``(N, 4)`` or ``(batch, N, 4)``. With ``use_masking``,
    pairs where either box has all coordinates negative (padding) get ``mask_val``."""
    rank1, rank2 = ops.ndim(boxes1), ops.ndim(boxes2)
    if rank1 not in (2, 3):
        raise _rank_error("boxes1", rank1, rank2)
    if rank2 not in (2, 3):
        raise _rank_error("boxes2", rank1, rank2)
    if "rel" in bounding_box_format and image_shape is None:
        raise _relative_error(image_shape)
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "yxyx", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "yxyx", height, width)
    intersection = _intersection(boxes1, boxes2)
    area1 = ops.expand_dims(_area(boxes1), -1)
    area2 = ops.expand_dims(_area(boxes2), -2)
    iou = ops.divide(intersection, area1 + area2 - intersection + config.epsilon())
    if not use_masking:
        return iou
    padding1 = ops.less(ops.max(boxes1, axis=-1, keepdims=True), 0.0)
    padding2 = _swap_last(ops.less(ops.max(boxes2, axis=-1, keepdims=True), 0.0))
    masked = ops.cast(mask_val, iou.dtype) * ops.ones_like(iou)
    return ops.where(ops.logical_or(padding1, padding2), masked, iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Complete IoU of matching boxes (``(..., 4)`` each, broadcasting): IoU minus the
    squared centre distance over the enclosing box's squared diagonal and the aspect-ratio
    term, shape ``(...)``.

    Keras refuses relative formats here even with ``image_shape`` (its check ignores it);
    kgraph converts them with ``image_shape`` and refuses them only without it.
    """
    if "rel" in bounding_box_format and image_shape is None:
        raise _relative_error(image_shape)
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    eps = config.epsilon()
    x_min1, y_min1, x_max1, y_max1 = split4(boxes1)
    x_min2, y_min2, x_max2, y_max2 = split4(boxes2)
    width1, height1 = x_max1 - x_min1, y_max1 - y_min1 + eps
    width2, height2 = x_max2 - x_min2, y_max2 - y_min2 + eps
    intersection = ops.maximum(
        ops.minimum(x_max1, x_max2) - ops.maximum(x_min1, x_min2), 0
    ) * ops.maximum(ops.minimum(y_max1, y_max2) - ops.maximum(y_min1, y_min2), 0)
    union = width1 * height1 + width2 * height2 - intersection + eps
    iou = ops.squeeze(ops.divide(intersection, union + eps), axis=-1)
    convex_width = ops.maximum(x_max1, x_max2) - ops.minimum(x_min1, x_min2)
    convex_height = ops.maximum(y_max1, y_max2) - ops.minimum(y_min1, y_min2)
    diagonal = ops.squeeze(convex_width**2 + convex_height**2 + eps, axis=-1)
    centres = ops.squeeze(
        ((x_min1 + x_max1) / 2 - (x_min2 + x_max2) / 2) ** 2
        + ((y_min1 + y_max1) / 2 - (y_min2 + y_max2) / 2) ** 2,
        axis=-1,
    )
    aspect = ops.arctan(width2 / height2) - ops.arctan(width1 / height1)
    v = ops.squeeze((4 / math.pi**2) * ops.power(aspect, 2), axis=-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)
