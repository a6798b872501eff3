"""``RandomCrop``: a random ``height`` x ``width`` window of each training image."""

from __future__ import annotations

from kgraph import ops
from kgraph.layers.preprocessing.base_augmentation import BaseImagePreprocessingLayer
from kgraph.ops import image as image_ops
from kgraph.utils import argument_validation as av


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops each training image to ``(height, width)`` at a random position (one per image;
    Keras uses one per batch). At inference, and for images not larger than the target, the
    largest centred window of the target's aspect ratio is resized to the target (Keras' rule),
    so the output shape never depends on the mode.

    Args:
        height: Output height.
        width: Output width.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height = av.output_size(height, "height")
        self.width = av.output_size(width, "width")

    def call(self, inputs, training=True):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        in_h, in_w = self.image_size(images)
        if in_h is None or in_w is None:
            raise ValueError(
                "RandomCrop requires the input to have a fully defined height and width. "
                f"Received: images.shape={images.shape}"
            )
        if training and in_h > self.height and in_w > self.width:
            return super().call(inputs, training=True)
        if not isinstance(inputs, dict):
            return self._centre(self._to_float(inputs), "bilinear")
        out = dict(inputs, images=self._centre(self._to_float(images), "bilinear"))
        if "segmentation_masks" in inputs:
            masks = self._to_float(inputs["segmentation_masks"])
            out["segmentation_masks"] = self._centre(masks, "nearest")
        return out

    def _centre(self, images, interpolation):
        """The largest centred window of the target's aspect ratio, resized to the target."""
        return image_ops.resize(
            images,
            (self.height, self.width),
            interpolation=interpolation,
            crop_to_aspect_ratio=True,
            data_format=self.data_format,
        )

    def get_random_transformation(self, data, training=True, seed=None):
        in_h, in_w = self.image_size(data)
        top = ops.floor(self.uniform(data, (1,), 0.0, float(in_h - self.height + 1)))
        left = ops.floor(self.uniform(data, (1,), 0.0, float(in_w - self.width + 1)))
        zeros, ones = ops.zeros_like(top), ops.ones_like(top)
        matrix = ops.concatenate([ones, zeros, left, zeros, ones, top, zeros, zeros], axis=1)
        return {"offsets": ops.concatenate([top, left], axis=1), "matrix": matrix}

    def transform_images(self, images, transformation, training=True):
        return image_ops.affine_transform(
            images,
            transformation["matrix"],
            interpolation="nearest",
            data_format=self.data_format,
            output_size=(self.height, self.width),
        )

    def transform_segmentation_masks(self, masks, transformation, training=True):
        return self.transform_images(masks, transformation, training)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h, w = self.spatial_axes(len(shape))
        shape[h], shape[w] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
