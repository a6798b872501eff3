"""``kgraph.utils.bounding_boxes``: Keras 3's bounding-box utilities (format conversion,
clipping, affine/crop/pad, anchor deltas, IoU and complete IoU) on numpy arrays, dicts of
``{"boxes", "labels"}`` and traced tensors alike."""

from kgraph.utils.bounding_boxes.converters import convert_format
from kgraph.utils.bounding_boxes.iou import compute_ciou, compute_iou
from kgraph.utils.bounding_boxes.transforms import (
    affine_transform,
    clip_to_image_size,
    crop,
    decode_deltas_to_boxes,
    encode_box_to_deltas,
    pad,
)

__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
