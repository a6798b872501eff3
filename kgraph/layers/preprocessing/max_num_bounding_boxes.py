"""``MaxNumBoundingBoxes``: Keras 3's layer that gives every image exactly ``max_number``
bounding boxes, so a detection batch has a fixed shape.

Boxes past ``max_number`` are dropped and missing ones filled with ``fill_value`` (boxes and
labels alike). The padding is written as "pad by ``max_number``, keep the first
``max_number``", one static-shaped ``Pad`` and ``Slice`` that also holds when the number of
boxes is unknown while tracing. Images, ``labels`` and ``segmentation_masks`` pass through.

Differences from Keras: ``get_config`` also records ``fill_value`` (Keras drops it, so its
round trip resets it to -1; Keras reads kgraph's config unchanged); ``bounding_boxes`` must be
arrays or tensors (Keras also densifies Python lists and ragged tensors).
"""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.ops.shapes import static_shape
from kgraph.utils.argument_validation import standardize_data_format


def _rank(x):
    return ops.ndim(x)


def _check_images(images):
    if _rank(images) not in (3, 4):
        raise ValueError(
            "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
            f"Received: data.shape={static_shape(images)}"
        )
    return _rank(images) == 4


def _check_bounding_boxes(bounding_boxes):
    if not isinstance(bounding_boxes, dict) or not {"boxes", "labels"} <= set(bounding_boxes):
        raise ValueError(
            "Expected `bounding_boxes` agurment to be a dict with keys 'boxes' and 'labels'. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    if _rank(bounding_boxes["boxes"]) not in (2, 3):
        raise ValueError(
            "Expected `bounding_boxes['boxes']` to have rank 2 or 3, with shape (num_boxes, 4) "
            "or (batch_size, num_boxes, 4). Received: "
            f"bounding_boxes['boxes'].shape={static_shape(bounding_boxes['boxes'])}"
        )


class MaxNumBoundingBoxes(Layer):
    """Pads or truncates ``data["bounding_boxes"]`` to ``max_number`` boxes per image.

    Args:
        max_number: Number of boxes every image gets.
        fill_value: Value of the padding boxes' coordinates and labels. Defaults to -1.
        bounding_box_format: Format of the boxes; required (as in Keras) when the data has
            ``bounding_boxes``, though padding does not depend on it.
        data_format: ``"channels_last"`` or ``"channels_first"`` (recorded, images pass
            through).
    """

    def __init__(
        self, max_number, fill_value=-1, bounding_box_format=None, data_format=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format
        self.data_format = standardize_data_format(data_format)

    def _pad(self, x, rank):
        """``x`` (``(batch, boxes, ...)``) with exactly ``max_number`` entries on axis 1."""
        widths = [(0, 0), (0, self.max_number)] + [(0, 0)] * (rank - 2)
        padded = ops.pad(x, widths, constant_values=self.fill_value)[:, : self.max_number]
        return ops.reshape(padded, (-1, self.max_number, *ops.shape(x)[2:]))

    def _transform_bounding_boxes(self, bounding_boxes, batched):
        _check_bounding_boxes(bounding_boxes)
        if not self.bounding_box_format:
            raise ValueError(
                "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                "bounding box format. Pass a `bounding_box_format` argument to your "
                f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
            )
        boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
        labels = ops.convert_to_tensor(bounding_boxes["labels"])
        if not batched:
            boxes, labels = ops.expand_dims(boxes, 0), ops.expand_dims(labels, 0)
        boxes, labels = self._pad(boxes, 3), self._pad(labels, _rank(labels))
        if not batched:
            boxes, labels = ops.squeeze(boxes, 0), ops.squeeze(labels, 0)
        return {**bounding_boxes, "boxes": boxes, "labels": labels}

    def call(self, data, training=True):
        if not isinstance(data, dict):
            _check_images(data)
            return ops.convert_to_tensor(data)
        batched = _check_images(data["images"])
        out = dict(data, images=ops.convert_to_tensor(data["images"]))
        if "bounding_boxes" in data:
            out["bounding_boxes"] = self._transform_bounding_boxes(data["bounding_boxes"], batched)
        return out

    def compute_output_shape(self, input_shape):
        if not (isinstance(input_shape, dict) and "bounding_boxes" in input_shape):
            return input_shape
        shapes = dict(input_shape["bounding_boxes"])
        extra = set(shapes) - {"boxes", "labels"}
        if extra:
            raise KeyError(
                f"There are unsupported keys in `bounding_boxes`: {list(extra)}. "
                "Only `boxes` and `labels` are supported."
            )
        for key in ("boxes", "labels"):
            shape = list(shapes[key])
            shape[1] = self.max_number
            shapes[key] = shape
        return {**input_shape, "bounding_boxes": shapes}

    def get_config(self):
        config = {
            **super().get_config(),
            "data_format": self.data_format,
            "max_number": self.max_number,
            "fill_value": self.fill_value,
        }
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
